import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';
import {
  invocationScope,
  metricsMiddleware,
  ParleyMetrics,
  publishMetrics,
  tracing,
  tracingEnabled,
} from './powertools';

describe('metrics', () => {
  /** A Metrics of its own whose warnings and EMF lines (stdout) the test reads. */
  function observed() {
    const warnings: string[] = [];
    const note = (message: unknown) => warnings.push(String(message));
    // The test configuration switches metrics off; this instance (and its cold-start single
    // metric, made later) publishes, in a process started on demand.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const target = new Metrics({
      namespace: 'ParleyTest',
      serviceName: 'test',
      logger: { debug: note, info: note, warn: note, error: note },
    });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const emf = () =>
      lines
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { target, warnings, emf };
  }
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it.each([
    ['false', true],
    ['true', false],
  ])('says whether it publishes: POWERTOOLS_METRICS_DISABLED=%s -> %s', (disabled, publishing) => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', disabled);
    expect(new ParleyMetrics({ namespace: 'ParleyTest', serviceName: 'test' }).publishing).toBe(publishing);
  });

  it('publishes nothing, and warns nothing, for an invocation that recorded no metric', () => {
    const { target, warnings, emf } = observed();
    publishMetrics(target);
    expect(emf()).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('publishes what an invocation recorded as one EMF line, then starts empty', () => {
    const { target, warnings, emf } = observed();
    target.addMetric('CacheHits', MetricUnit.Count, 2);
    publishMetrics(target);
    publishMetrics(target);
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ CacheHits: 2, service: 'test' });
    expect(warnings).toEqual([]);
  });

  it('as middleware: the cold start once per process, then only invocations that recorded metrics', async () => {
    const { target, warnings, emf } = observed();
    const middleware = metricsMiddleware(target);
    const request = () => ({
      event: {},
      context: lambdaContext({ functionName: 'parley-api-chat', awsRequestId: 'r1' }),
      response: undefined,
      error: undefined,
      internal: {} as Record<string, unknown>,
    });
    const first = request();
    await middleware.before?.(first as never);
    await middleware.after?.(first as never);
    const second = request();
    await middleware.before?.(second as never);
    target.addMetric('ChatTokens', MetricUnit.Count, 7);
    await middleware.onError?.(second as never);

    const lines = emf();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ ColdStart: 1, function_name: 'parley-api-chat' });
    expect(lines[1]).toMatchObject({ ChatTokens: 7 });
    expect(warnings).toEqual([]);
    // Another Powertools middleware that returns early runs this cleanup instead of `after`.
    expect(typeof second.internal['powertools-for-aws.metrics']).toBe('function');
  });
});

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

  it('fails the requests, not the cold start, when a bundle lacks its tracer chunk', async () => {
    // Prepare: a Lambda bundle whose tracing.mjs is missing beside it.
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'parley-test');
    vi.stubEnv('PARLEY_BUNDLE', 'lambda');
    try {
      const [middleware] = tracing();
      const request = {
        event: {},
        context: lambdaContext({ functionName: 'parley-test', awsRequestId: 'r1' }),
        response: undefined,
        error: undefined,
        internal: {},
      };

      // Act
      const first = await Promise.resolve(middleware?.before?.(request as never)).catch((e: unknown) => e);
      const second = await Promise.resolve(middleware?.onError?.(request as never)).catch((e: unknown) => e);

      // Assess
      expect(middleware?.name).toBe('tracing');
      expect(String(first)).toMatch(/tracing\.mjs/);
      expect(second).toBe(first);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('invocationScope', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('answers what the invocation answers, and passes its failure on, outside Lambda', async () => {
    await expect(invocationScope(async () => 'answered')).resolves.toBe('answered');
    await expect(
      invocationScope(async () => {
        throw new Error('failed');
      }),
    ).rejects.toThrow('failed');
  });

  it('runs the invocation as it is inside Lambda, whose runtime scopes each one', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'parley-test');

    await expect(invocationScope(async () => 'answered')).resolves.toBe('answered');
  });
});

describe('a process that inherited AWS_LAMBDA_MAX_CONCURRENCY', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('has its invocation store before anything logs, so the first log line does not throw', async () => {
    // Prepare: as a child of a process that ran invocationScope.
    vi.stubEnv('AWS_LAMBDA_MAX_CONCURRENCY', '1000');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    vi.resetModules();
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });

    // Act
    const { logger } = await import('./powertools');
    logger.info('first line');

    // Assess
    expect(lines.join('')).toContain('"message":"first line"');
  });
});
