import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { ApiEvent } from './types';

// The logger reads its level once, when first imported: INFO here, so its lines can be read.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { invocationScope, logger } = await import('../powertools');
const { setUpApiEnvironment } = await import('#test/support/api');
const { lambdaContext } = await import('#test/support/lambda-context');
const { installLambdaStreamingGlobals } = await import('../../../bin/local/streaming');

// Route handlers read their configuration at cold start: set the environment first.
setUpApiEnvironment();
installLambdaStreamingGlobals();
const { lambdaHandler, streamingLambdaHandler } = await import('./router');
const { routeDefiner } = await import('./route');
const { ok } = await import('./responses');

const defineRoute = routeDefiner<object>('health');
const pause = () => sleep(Math.floor(Math.random() * 8));

/** Logs before, between and after awaits, naming its own request in the message. */
const chatty = defineRoute(
  {
    id: 'things.chatty',
    method: 'GET',
    path: '/api/things',
    summary: 'logs while other invocations run',
    access: 'public',
    responses: { 200: { description: 'ok' } },
  },
  async ({ requestId }) => {
    for (const step of ['start', 'middle', 'end']) {
      logger.info(`step ${step} of ${requestId}`);
      await pause();
    }
    return ok({ requestId });
  },
);

/** Keeps logging while it streams, after the middleware stack has returned. */
const streaming = defineRoute(
  {
    id: 'things.stream',
    method: 'POST',
    path: '/api/things',
    summary: 'logs while it streams',
    access: 'public',
    streaming: true,
    responses: { 200: { description: 'events' } },
  },
  async ({ requestId }) => ({
    statusCode: 200,
    headers: { 'Content-Type': 'text/event-stream' },
    body: '',
    stream: async (write) => {
      for (const step of ['one', 'two', 'three']) {
        await pause();
        logger.info(`chunk ${step} of ${requestId}`);
        write(`data: ${step}\n\n`);
      }
    },
  }),
);

const eventFor = (httpMethod: string, requestId: string) =>
  ({
    httpMethod,
    resource: '/api/things',
    path: '/api/things',
    headers: {},
    requestContext: { requestId },
  }) as unknown as ApiEvent;

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every captured line that names a request in its message must carry that request's id. */
function mixedUp(pattern: RegExp) {
  const entries = lines.map((line) => JSON.parse(line) as { message: string; requestId?: string });
  const named = entries.filter((e) => pattern.test(e.message));
  return {
    named: named.length,
    wrong: named.filter((e) => e.requestId && !e.message.endsWith(e.requestId)).length,
    none: named.filter((e) => !e.requestId).length,
  };
}

describe('log context under concurrent invocations in one process', () => {
  it('names the right request on every line of interleaved invocations', async () => {
    // Prepare
    const handler = lambdaHandler([chatty], () => ({}));
    const ids = Array.from({ length: 40 }, (_, i) => `req-${i}`);

    // Act
    const results = await Promise.all(
      ids.map((id) => handler(eventFor('GET', id), lambdaContext({ awsRequestId: id }))),
    );

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual(ids.map(() => 200));
    expect(mixedUp(/^step /)).toEqual({ named: 120, wrong: 0, none: 0 });
  });

  it('keeps the request id on lines logged while a response streams', async () => {
    // Prepare
    const handler = streamingLambdaHandler([streaming], () => ({}));
    const ids = Array.from({ length: 20 }, (_, i) => `stream-${i}`);

    // Act: each invocation writes into a sink, as the runtime's response stream would take it.
    await Promise.all(
      ids.map((id) => {
        const sink = new Writable({ write: (_c, _e, done) => done() });
        return handler(eventFor('POST', id), sink, lambdaContext({ awsRequestId: id }));
      }),
    );

    // Assess
    expect(mixedUp(/^chunk /)).toEqual({ named: 60, wrong: 0, none: 0 });
  });

  it('lets a process started from this one log (it inherits the per-invocation opt-in)', () => {
    // Prepare: the opt-in is set once an invocation ran in this process.
    expect(process.env.AWS_LAMBDA_MAX_CONCURRENCY).toBeDefined();
    const script = "const { logger } = await import('#shared/powertools'); logger.info('child line');";

    // Act
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' },
      encoding: 'utf8',
    });

    // Assess
    expect(JSON.parse(output.trim())).toMatchObject({ level: 'INFO', message: 'child line' });
  });

  it('keeps invocations apart when another library made the process-wide invoke store first', () => {
    // Prepare: a fresh process where, as the AWS SDK's recursion-detection middleware does on its
    // first call, something asks for Lambda's invoke store before any invocation ran (and before
    // the per-invocation opt-in is set): that makes the single-invocation store.
    const script = [
      "const { InvokeStore } = await import('@aws/lambda-invoke-store');",
      'await InvokeStore.getInstanceAsync();',
      "const { invocationScope, logger } = await import('#shared/powertools');",
      'const one = (id, ms) => invocationScope(async () => {',
      '  logger.appendKeys({ requestId: id });',
      '  await new Promise((resolve) => setTimeout(resolve, ms));',
      '  logger.info(`line of ${id}`);',
      '});',
      "await Promise.all([one('slow', 40), one('fast', 5)]);",
      "logger.info('line of none');",
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' };
    delete env.AWS_LAMBDA_MAX_CONCURRENCY;
    delete env.AWS_LAMBDA_FUNCTION_NAME;

    // Act
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
    });

    // Assess: each line names the invocation that logged it, and none after them names any.
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string; requestId?: string });
    expect(lines.map((l) => [l.message, l.requestId ?? 'none'])).toEqual([
      ['line of fast', 'fast'],
      ['line of slow', 'slow'],
      ['line of none', 'none'],
    ]);
  });

  it("answers reads and refuses writes as Lambda's own store does, inside and outside an invocation", async () => {
    // Prepare: the store invocationScope installed (an invocation ran in this process).
    await invocationScope(async () => undefined);
    const store = (globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } }).awslambda?.InvokeStore;
    if (!store) throw new Error('no invoke store');

    // Act and assess: outside an invocation there is no context to write to.
    expect(store.hasContext()).toBe(false);
    expect(store.getContext()).toBeUndefined();
    expect(() => store.set('key', 1)).toThrow('No context available');
    const inside = await invocationScope(async () => {
      store.set('key', 1);
      await pause();
      expect(() => store.set(Symbol.for('_AWS_LAMBDA_REQUEST_ID'), 'x')).toThrow(
        /protected Lambda context field/,
      );
      return { key: store.get('key'), context: store.hasContext(), requestId: store.getRequestId() };
    });
    expect(inside).toEqual({ key: 1, context: true, requestId: '-' });
    expect(store.get('key')).toBeUndefined();
  });
});
