import { PassThrough, type Writable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../test/support/lambda-context';
import {
  installLambdaStreamingGlobals,
  invokeStreaming,
  isStreamingHandler,
  type StreamingHandler,
} from './streaming';

installLambdaStreamingGlobals();
const awslambda = (
  globalThis as unknown as {
    awslambda: {
      streamifyResponse<T>(h: T): T;
      HttpResponseStream: { from(s: Writable, p: object): Writable };
    };
  }
).awslambda;

let server: Server | undefined;
let failures: unknown[] = [];
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: StreamingHandler): Promise<string> {
  failures = [];
  server = createServer((_req, res) => {
    invokeStreaming(handler, {}, res, lambdaContext({ awsRequestId: 'r1' })).catch((error: unknown) =>
      failures.push(error),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('local Lambda response streaming', () => {
  it('marks handlers as streaming the way the Lambda runtime does', () => {
    const streaming = awslambda.streamifyResponse(async () => {});
    expect(isStreamingHandler(streaming)).toBe(true);
    expect(isStreamingHandler(async () => ({ statusCode: 200 }))).toBe(false);
  });

  it('sends the prelude and each chunk as it is written, before the handler finishes', async () => {
    let releaseSecond: () => void = () => {};
    const secondMayGo = new Promise<void>((resolve) => (releaseSecond = resolve));
    const url = await serve(
      awslambda.streamifyResponse(async (_event: unknown, responseStream: Writable) => {
        const stream = awslambda.HttpResponseStream.from(responseStream, {
          statusCode: 201,
          headers: { 'Content-Type': 'text/event-stream', 'X-Request-Id': 'r1' },
        });
        stream.write('event: delta\ndata: {"text":"Hel"}\n\n');
        await secondMayGo;
        stream.write('event: done\ndata: {}\n\n');
        stream.end();
      }),
    );

    const response = await fetch(url);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    const first = new TextDecoder().decode((await reader.read()).value);
    // The first event arrived while the handler is still waiting to write the second.
    expect(first).toBe('event: delta\ndata: {"text":"Hel"}\n\n');
    releaseSecond();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toBe('event: done\ndata: {}\n\n');
  });

  it('ends the response when the handler returns without ending it', async () => {
    const url = await serve(
      awslambda.streamifyResponse(async (_event: unknown, stream: Writable) => {
        stream.write('whole');
      }),
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('whole');
    expect(failures).toEqual([]);
  });

  it('cuts the response when the handler throws after it started, so it never looks complete', async () => {
    const url = await serve(
      awslambda.streamifyResponse(async (_event: unknown, stream: Writable) => {
        stream.write('partial');
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('database went away');
      }),
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    // The error still reaches the caller (the local server logs it, as Lambda would).
    expect(failures).toEqual([new Error('database went away')]);
  });

  it('sends the cookies of the prelude as Set-Cookie headers, one per cookie', async () => {
    const url = await serve(
      awslambda.streamifyResponse(async (_event: unknown, responseStream: Writable) => {
        const stream = awslambda.HttpResponseStream.from(responseStream, {
          statusCode: 200,
          headers: { 'Content-Type': 'text/plain' },
          cookies: ['a=1; HttpOnly', 'b=2; Secure'],
        });
        stream.end('done');
      }),
    );
    const response = await fetch(url);
    expect(response.headers.getSetCookie()).toEqual(['a=1; HttpOnly', 'b=2; Secure']);
    expect(await response.text()).toBe('done');
  });

  it('leaves a stream that is not an HTTP response as it is when given a prelude', () => {
    const other = new PassThrough();
    expect(awslambda.HttpResponseStream.from(other, { statusCode: 500 })).toBe(other);
  });

  it('completes an awslambda object that another library created empty', () => {
    // Prepare: Lambda's invoke store (loaded by Powertools) leaves `awslambda = {}` behind.
    const scope = globalThis as unknown as { awslambda?: object };
    const saved = scope.awslambda;
    scope.awslambda = { InvokeStore: 'kept' };
    try {
      // Act
      installLambdaStreamingGlobals();

      // Assess
      expect(scope.awslambda).toMatchObject({ InvokeStore: 'kept' });
      expect(typeof (scope.awslambda as { streamifyResponse?: unknown }).streamifyResponse).toBe('function');
      expect(
        typeof (scope.awslambda as { HttpResponseStream?: { from?: unknown } }).HttpResponseStream?.from,
      ).toBe('function');
    } finally {
      scope.awslambda = saved;
    }
  });
});
