import { describe, expect, it } from 'vitest';

import { createRetryQuota, errorTypeOf, fetchFailure, retryKindOf, withAttempts } from './standard-retry';

const service = (name: string, status: number) =>
  Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status } });

describe('retryKindOf', () => {
  it.each([
    ['a 429', service('SomeNewException', 429), 'throttling'],
    ['a throttling name on a 400', service('TooManyRequestsException', 400), 'throttling'],
    ['a 503', service('ServiceUnavailable', 503), 'transient'],
    ['a socket reset', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'transient'],
    ['a timeout', Object.assign(new Error('slow'), { name: 'TimeoutError' }), 'transient'],
    ['a 501 (not implemented)', service('NotImplemented', 501), 'final'],
    ['a 400', service('ValidationException', 400), 'final'],
    ['an error without metadata', new Error('bug'), 'final'],
    ['a thrown string', 'ECONNRESET', 'final'],
    ['null', null, 'final'],
    ['undefined', undefined, 'final'],
  ])('treats %s as %s', (_case, error, kind) => {
    expect(retryKindOf(error)).toBe(kind);
  });
});

describe('createRetryQuota', () => {
  it('refuses a retry of what is not retryable and the last allowed attempt, spending nothing', () => {
    const quota = createRetryQuota();
    const random = () => 1;

    expect(quota.retryAfter(service('ValidationException', 400), 0, 3, random)).toBeUndefined();
    expect(quota.retryAfter(service('InternalFailure', 500), 2, 3, random)).toBeUndefined();
    expect(quota.retryAfter(service('InternalFailure', 500), 0, 1, random)).toBeUndefined();
    expect(quota.retryAfter(service('InternalFailure', 500), 0, 3, random)).toEqual({ delay: 50, cost: 14 });
  });

  it('caps a delay at 20 s however many retries came before', () => {
    const quota = createRetryQuota();

    expect(quota.retryAfter(service('Throttling', 400), 10, 20, () => 1)).toEqual({ delay: 20_000, cost: 5 });
  });

  it('stops retrying once the shared capacity is spent, and gives it back as calls succeed', () => {
    const quota = createRetryQuota();
    const failure = service('InternalFailure', 500);
    let granted = 0;
    while (quota.retryAfter(failure, 0, 3, () => 0)) granted += 1;

    // 500 tokens at 14 a retry
    expect(granted).toBe(35);
    quota.succeeded(14);
    expect(quota.retryAfter(failure, 0, 3, () => 0)).toEqual({ delay: 0, cost: 14 });
    expect(quota.retryAfter(failure, 0, 3, () => 0)).toBeUndefined();
  });
});

describe('withAttempts', () => {
  it('adds the attempts and the time slept to an error’s metadata, keeping what was there', () => {
    const error = service('InternalFailure', 500);

    expect(withAttempts(error, 3, 120)).toMatchObject({
      $metadata: { httpStatusCode: 500, attempts: 3, totalRetryDelay: 120 },
    });
  });

  it('leaves an error without metadata, and a thrown non-object, as they are', () => {
    const plain = new Error('credentials missing');

    expect(withAttempts(plain, 1, 0)).toBe(plain);
    expect(plain).not.toHaveProperty('$metadata');
    expect(withAttempts('boom', 2, 5)).toBe('boom');
    expect(withAttempts(null, 2, 5)).toBeNull();
  });
});

describe('errorTypeOf', () => {
  const headers = (errorType?: string) =>
    new Headers(errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType });

  it.each([
    ['the header over the body', headers('HeaderException'), { code: 'CodeException' }, 'HeaderException'],
    ['the header, without what follows a colon', headers('A:http://internal/'), {}, 'A'],
    ['the header, its first value of several', headers('First,Second'), {}, 'First'],
    ['the body code', headers(), { code: 'CodeException', __type: 'TypeException' }, 'CodeException'],
    ['a numeric body code', headers(), { code: 404 }, '404'],
    [
      'the body __type, without its namespace',
      headers(),
      { __type: 'com.amazon#TypeException' },
      'TypeException',
    ],
    ['a header with nothing before the colon', headers(':http://internal/'), {}, undefined],
    ['a __type with nothing after #', headers(), { __type: 'com.amazon#' }, undefined],
    ['a body with no type', headers(), { message: 'x' }, undefined],
    ['a body that is not an object', headers(), 'text', undefined],
    ['a type of another kind', headers(), { code: { nested: 'X' }, __type: true }, undefined],
  ])('reads %s', (_case, h, body, type) => {
    expect(errorTypeOf(h, body)).toBe(type);
  });
});

describe('fetchFailure', () => {
  const failed = (cause?: object) => Object.assign(new TypeError('fetch failed'), cause ? { cause } : {});

  it.each([
    ['a timeout of the signal', new DOMException('timed out', 'TimeoutError'), true, 'ETIMEDOUT', 'timeout'],
    ['an abort', new DOMException('aborted', 'AbortError'), true, 'ETIMEDOUT', 'timeout'],
    [
      'a refused connection',
      failed({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' }),
      false,
      'ECONNREFUSED',
      'connect ECONNREFUSED 127.0.0.1:9',
    ],
    [
      'undici’s socket error',
      failed({ code: 'UND_ERR_SOCKET', message: 'other side closed' }),
      false,
      'ECONNRESET',
      'other side closed',
    ],
    [
      'undici’s headers timeout',
      failed({ code: 'UND_ERR_HEADERS_TIMEOUT' }),
      false,
      'ETIMEDOUT',
      'fetch failed',
    ],
    ['a failure without a cause', failed(), false, 'ECONNRESET', 'fetch failed'],
    ['a cause with a code of another type', failed({ code: 42 }), false, 'ECONNRESET', 'fetch failed'],
    ['a thrown string', 'socket hang up', false, 'ECONNRESET', 'socket hang up'],
    ['undefined', undefined, false, 'ECONNRESET', 'undefined'],
  ])('reads %s', (_case, error, timedOut, code, detail) => {
    expect(fetchFailure(error)).toEqual({ timedOut, code, detail });
  });
});
