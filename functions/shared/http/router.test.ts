import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installLambdaStreamingGlobals } from '../../../bin/local/streaming';

import { setUpApiEnvironment } from '#test/support/api';
import { lambdaContext } from '#test/support/lambda-context';
import { dataApiError, whatTheRuntimeWrites } from '#test/support/lambda-runtime';
import type { ResponseProducer } from './route';
import type { ApiEvent } from './types';

// Route handlers read their configuration at cold start: set the environment first.
setUpApiEnvironment();
// The Lambda runtime provides `awslambda`; the local server's stand-in does here.
installLambdaStreamingGlobals();
const { lambdaHandler, streamingLambdaHandler } = await import('./router');
const { routeDefiner } = await import('./route');
const { ok } = await import('./responses');
const { logger } = await import('../powertools');

const context = lambdaContext({ awsRequestId: 'aws-req-1' });

interface Deps {
  readonly answer: (name: string) => string;
}
const defineRoute = routeDefiner<Deps>('health');
const thing = (method: 'GET' | 'PATCH' | 'DELETE', name: string) =>
  defineRoute(
    {
      id: `things.${name}`,
      method,
      path: '/api/things/{id}',
      summary: name,
      access: 'public',
      responses: { 200: { description: name } },
    },
    async (_input, { answer }) => ok({ name: answer(name) }),
  );
const routes = [thing('GET', 'get'), thing('PATCH', 'rename'), thing('DELETE', 'delete')];

/** The deps factory, counting how often it runs. */
function countingDeps() {
  const built = { count: 0 };
  const deps = () => {
    built.count += 1;
    return { answer: (name: string) => `answered ${name}` };
  };
  return { built, deps };
}

const eventFor = (httpMethod: string, resource: string, requestId: string | null = 'req-1') =>
  ({
    httpMethod,
    resource,
    path: resource,
    headers: {},
    requestContext: requestId ? { requestId } : undefined,
  }) as unknown as ApiEvent;

describe('lambdaHandler', () => {
  it('dispatches by method and resource template to the route sharing that template', async () => {
    // Prepare
    const dispatch = lambdaHandler(routes, countingDeps().deps);

    // Act
    const results = await Promise.all(
      ['GET', 'PATCH', 'DELETE'].map((m) => dispatch(eventFor(m, '/api/things/{id}'), context)),
    );

    // Assess
    expect(results.map((r) => JSON.parse(r.body).name)).toEqual([
      'answered get',
      'answered rename',
      'answered delete',
    ]);
  });

  it('builds the group dependencies once, on the first request and not at cold start', async () => {
    // Prepare
    const { built, deps } = countingDeps();
    const dispatch = lambdaHandler(routes, deps);
    expect(built.count).toBe(0);

    // Act
    await dispatch(eventFor('GET', '/api/things/{id}'), context);
    await dispatch(eventFor('DELETE', '/api/things/{id}'), context);

    // Assess
    expect(built.count).toBe(1);
  });

  it.each([
    ['a method the resource does not have', 'POST', '/api/things/{id}'],
    ['a concrete path instead of a template', 'GET', '/api/things/1'],
    ['an unknown resource', 'GET', '/api/nothing'],
  ])('answers a 404 problem for %s', async (_case, method, resource) => {
    const dispatch = lambdaHandler(routes, countingDeps().deps);

    const result = await dispatch(eventFor(method, resource), context);

    expect(result.statusCode).toBe(404);
    expect(result.headers?.['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(result.body)).toMatchObject({
      type: 'urn:parley:problem:not-found',
      status: 404,
      detail: 'No such route.',
      requestId: 'req-1',
    });
  });

  it('names the Lambda request id in a 404 when the event has no request context', async () => {
    const dispatch = lambdaHandler(routes, countingDeps().deps);

    const result = await dispatch(eventFor('GET', '/api/nothing', null), context);

    expect(JSON.parse(result.body).requestId).toBe('aws-req-1');
  });

  it('fails at cold start when two routes claim the same method and path', () => {
    expect(() => lambdaHandler([...routes, thing('GET', 'again')], countingDeps().deps)).toThrow(
      'Two routes for GET /api/things/{id}',
    );
  });
});

const streamed = (name: string, produce: ResponseProducer) =>
  defineRoute(
    {
      id: `streams.${name}`,
      method: 'POST',
      path: `/api/streams/${name}`,
      summary: name,
      access: 'public',
      streaming: true,
      responses: { 200: { description: name, contentType: 'text/event-stream' } },
    },
    async () => ({
      statusCode: 200,
      headers: { 'Content-Type': 'text/event-stream' },
      body: '',
      stream: produce,
    }),
  );

/** A response stream that records what was written; `destroyAfter` chunks, the client leaves. */
function responseStream(destroyAfter = Infinity) {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      if (chunks.length >= destroyAfter) out.destroy();
      done();
    },
  });
  return { out, chunks };
}

describe('lambdaHandler and streamingLambdaHandler: one invoke mode per function', () => {
  it('refuses at cold start a buffered group that holds a streaming route', () => {
    expect(() => lambdaHandler([...routes, streamed('a', async () => {})], countingDeps().deps)).toThrow(
      'A group with streaming routes needs streamingLambdaHandler (one invoke mode per function)',
    );
  });

  it('refuses at cold start a streaming group that holds a buffered route', () => {
    expect(() =>
      streamingLambdaHandler([streamed('a', async () => {}), ...routes], countingDeps().deps),
    ).toThrow('A streaming group holds streaming routes only (one invoke mode per function)');
  });
});

describe('streamingLambdaHandler', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sends the status and headers first, then each chunk the route writes, then ends the response', async () => {
    // Prepare
    const from = vi.spyOn(awslambda.HttpResponseStream, 'from');
    const handler = streamingLambdaHandler(
      [
        streamed('ok', async (write) => {
          write('event: delta\ndata: {"text":"Hel"}\n\n');
          write('event: delta\ndata: {"text":"lo"}\n\n');
        }),
      ],
      countingDeps().deps,
    );
    const { out, chunks } = responseStream();

    // Act
    await handler(eventFor('POST', '/api/streams/ok'), out, context);

    // Assess
    expect(from.mock.calls[0]?.[1]).toMatchObject({
      statusCode: 200,
      headers: expect.objectContaining({ 'Content-Type': 'text/event-stream' }),
    });
    expect(chunks).toEqual([
      'event: delta\ndata: {"text":"Hel"}\n\n',
      'event: delta\ndata: {"text":"lo"}\n\n',
    ]);
    expect(out.writableEnded).toBe(true);
  });

  it('answers an unknown route with a 404 problem body on the stream', async () => {
    const from = vi.spyOn(awslambda.HttpResponseStream, 'from');
    const handler = streamingLambdaHandler([streamed('ok', async () => {})], countingDeps().deps);
    const { out, chunks } = responseStream();

    await handler(eventFor('POST', '/api/streams/unknown'), out, context);

    expect(from.mock.calls[0]?.[1]).toMatchObject({ statusCode: 404 });
    expect(JSON.parse(chunks.join(''))).toMatchObject({ status: 404, detail: 'No such route.' });
    expect(out.writableEnded).toBe(true);
  });

  it('lets the route finish its work when the client leaves, writing nothing more and not waiting for it', async () => {
    // Prepare
    let finished = false;
    const handler = streamingLambdaHandler(
      [
        streamed('gone', async (write) => {
          write('first');
          await new Promise((resolve) => setImmediate(resolve));
          write('second');
          write('third');
          finished = true;
        }),
      ],
      countingDeps().deps,
    );
    const { out, chunks } = responseStream(1);

    // Act
    await handler(eventFor('POST', '/api/streams/gone'), out, context);

    // Assess
    expect(finished).toBe(true);
    expect(chunks).toEqual(['first']);
    expect(out.destroyed).toBe(true);
  });

  it('holds the route back while the client reads slower than it writes, and tells it when the client left', async () => {
    // Prepare: a client that takes a chunk only when released, and leaves at the third
    const release: (() => void)[] = [];
    const chunks: string[] = [];
    const out = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        if (chunks.length === 3) {
          out.destroy();
          return;
        }
        release.push(done);
      },
    });
    const answers: boolean[] = [];
    const handler = streamingLambdaHandler(
      [
        streamed('slow', async (write, ready) => {
          for (const piece of ['page-1', 'page-2', 'page-3', 'page-4']) {
            write(piece);
            const open = await ready();
            answers.push(open);
            if (!open) return;
          }
        }),
      ],
      countingDeps().deps,
    );

    // Act
    const done = handler(eventFor('POST', '/api/streams/slow'), out, context);
    await vi.waitFor(() => expect(release).toHaveLength(1));
    const waitingAfterFirst = [...answers];
    release.shift()?.();
    await vi.waitFor(() => expect(release).toHaveLength(1));
    release.shift()?.();
    await done;

    // Assess: the route waited for each chunk to be taken, and stopped once the client left
    expect(waitingAfterFirst).toEqual([]);
    expect(answers).toEqual([true, true, false]);
    expect(chunks).toEqual(['page-1', 'page-2', 'page-3']);
  });

  it('fails the invocation when the route fails after the status went out, without ending the response', async () => {
    // Prepare
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const handler = streamingLambdaHandler(
      [
        streamed('broken', async (write) => {
          write('page-1');
          throw new Error('Connection terminated unexpectedly');
        }),
      ],
      countingDeps().deps,
    );
    const { out, chunks } = responseStream();

    // Act
    const invocation = handler(eventFor('POST', '/api/streams/broken'), out, context);

    // Assess: the runtime sees the error (and cuts the stream); the partial file is not ended as whole
    await expect(invocation).rejects.toThrow('Connection terminated unexpectedly');
    expect(chunks).toEqual(['page-1']);
    expect(out.writableEnded).toBe(false);
    expect(error).toHaveBeenCalledWith(
      'response stream failed',
      expect.objectContaining({ error: expect.any(Error) }),
    );
  });

  it('fails it with the error cleaned, so the runtime writes no row or key a database quoted', async () => {
    // Prepare: a page read fails after the status went out, with the Data API's Detail line
    vi.spyOn(logger, 'error').mockImplementation(() => {});
    const handler = streamingLambdaHandler(
      [
        streamed('broken', async (write) => {
          write('page-1');
          throw dataApiError('marker@example.com');
        }),
      ],
      countingDeps().deps,
    );
    const { out } = responseStream();

    // Act
    const failure = await handler(eventFor('POST', '/api/streams/broken'), out, context).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: still a failure, named as the original, without the key in what the runtime writes
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('DatabaseErrorException');
    expect(whatTheRuntimeWrites(failure)).not.toContain('marker@example.com');
  });
});
