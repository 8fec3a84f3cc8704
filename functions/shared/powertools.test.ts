import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';
import { tracing, tracingEnabled } from './powertools';

describe('tracing', () => {
  it('is on only inside Lambda and when not switched off', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'parley-api' })).toBe(true);
    expect(
      tracingEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'parley-api', POWERTOOLS_TRACE_ENABLED: 'false' }),
    ).toBe(false);
  });

  it('adds no middleware (and never loads the X-Ray SDK) outside Lambda', () => {
    expect(tracing()).toEqual([]);
  });

  it('wraps the handler with the Powertools tracer inside Lambda', async () => {
    // Prepare: a Lambda-like environment with tracing left to the SDK's own "not sampled" path.
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'parley-test';
    process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
    try {
      const [middleware] = tracing();
      expect(middleware?.name).toBe('tracing');
      const request = {
        event: {},
        context: lambdaContext({ functionName: 'parley-test', awsRequestId: 'r1' }),
        response: { statusCode: 200 },
        error: undefined,
        internal: {},
      };
      // Act: the tracer loads lazily on first use and runs without a trace context.
      await middleware?.before?.(request as never);
      await middleware?.after?.(request as never);

      // Assess: the request went through untouched.
      expect(request.response).toEqual({ statusCode: 200 });
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      delete process.env.AWS_XRAY_CONTEXT_MISSING;
    }
  });
});
