import type { ServerResponse } from 'node:http';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { answerFailure, CognitoApiError, headerSafe } from './cognito-proxy';

/** A response that records what was set and whether it was cut; `setHeader` may be made to throw. */
function fakeResponse(options: { headersSent?: boolean; setHeaderThrows?: boolean } = {}) {
  const headers = new Map<string, string>();
  const res = {
    headersSent: options.headersSent ?? false,
    statusCode: 200,
    body: undefined as string | undefined,
    destroyed: false,
    setHeader(name: string, value: string) {
      if (options.setHeaderThrows) throw new TypeError('Invalid character in header content');
      headers.set(name, value);
    },
    end(body: string) {
      this.body = body;
    },
    destroy() {
      this.destroyed = true;
    },
  };
  return { res, headers, asResponse: res as unknown as ServerResponse };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('headerSafe', () => {
  it('keeps printable ASCII and replaces line breaks, controls and characters beyond ASCII', () => {
    expect(headerSafe('App Client 日本 not found')).toBe('App Client ?? not found');
    expect(headerSafe('a\r\nb\tc\u0000é')).toBe('a??b?c??');
    expect(headerSafe('Incorrect username or password.')).toBe('Incorrect username or password.');
  });
});

describe('answerFailure', () => {
  it('answers a Cognito error in the x-amz shape with a header-safe message', () => {
    // Prepare
    const { res, headers, asResponse } = fakeResponse();

    // Act
    answerFailure(
      asResponse,
      new CognitoApiError('SerializationException', 'ClientMetadata.a\nb must be a string.'),
    );

    // Assess
    expect(res.statusCode).toBe(400);
    expect(headers.get('x-amzn-errortype')).toBe('SerializationException:');
    expect(headers.get('x-amzn-errormessage')).toBe('ClientMetadata.a?b must be a string.');
    expect(JSON.parse(res.body ?? '')).toEqual({
      __type: 'SerializationException',
      message: 'ClientMetadata.a\nb must be a string.',
    });
  });

  it('answers anything else as an internal error and logs it', () => {
    // Prepare
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, headers, asResponse } = fakeResponse();

    // Act
    answerFailure(asResponse, new Error('secret detail'));

    // Assess
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body ?? '')).toEqual({
      __type: 'InternalErrorException',
      message: 'Internal error',
    });
    expect(logged).toHaveBeenCalledWith('Local Cognito endpoint error', {
      requestId: headers.get('x-amzn-requestid'),
      error: expect.objectContaining({ name: 'Error', message: 'secret detail' }),
    });
  });

  it("logs a failure under the request id the client got, with none of the error's other fields", () => {
    // Prepare: an HTTP client's error, carrying the request it made (a password in its body)
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { headers, asResponse } = fakeResponse();
    const failure = Object.assign(new Error('upstream refused the call'), {
      code: 'ECONNRESET',
      request: { body: '{"Username":"a@example.test","Password":"planted-password"}' },
    });

    // Act
    answerFailure(asResponse, failure);

    // Assess
    expect(logged).toHaveBeenCalledWith('Local Cognito endpoint error', {
      requestId: headers.get('x-amzn-requestid'),
      error: expect.objectContaining({ message: 'upstream refused the call', code: 'ECONNRESET' }),
    });
    expect(headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(logged.mock.calls)).not.toContain('planted');
  });

  it('logs a failure to answer as an error is logged, under the same request id', () => {
    // Prepare: setting a header fails with an error that quotes what it was given
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, asResponse } = fakeResponse({ setHeaderThrows: true });

    // Act
    answerFailure(asResponse, Object.assign(new Error('first'), { body: 'planted body' }));

    // Assess
    expect(res.destroyed).toBe(true);
    expect(logged).toHaveBeenCalledTimes(2);
    const [first, second] = logged.mock.calls.map((call) => call[1] as { requestId: string });
    expect(second).toEqual({
      requestId: first?.requestId,
      error: expect.objectContaining({ name: 'TypeError', message: 'Invalid character in header content' }),
    });
    expect(JSON.stringify(logged.mock.calls)).not.toContain('planted');
  });

  it('cuts the connection when the answer has already begun', () => {
    // Prepare
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, asResponse } = fakeResponse({ headersSent: true });

    // Act
    answerFailure(asResponse, new Error('failed mid-answer'));

    // Assess
    expect(res.destroyed).toBe(true);
    expect(res.body).toBeUndefined();
  });

  it('cuts the connection instead of throwing when the error cannot be answered', () => {
    // Prepare
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, asResponse } = fakeResponse({ setHeaderThrows: true });

    // Act
    const act = () => answerFailure(asResponse, new CognitoApiError('InvalidParameterException', 'x'));

    // Assess
    expect(act).not.toThrow();
    expect(res.destroyed).toBe(true);
  });
});
