import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFetch } from './node-fetch';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback server answering with `answer`; returns its URL. */
async function serve(
  answer: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<string> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}/path?q=1`;
}

describe('nodeFetch', () => {
  it('posts the body and headers, and reads the status, headers and whole body', async () => {
    // Prepare
    let seen: { method?: string; url?: string; target?: string; body?: string } = {};
    const url = await serve((req, res, body) => {
      seen = { method: req.method, url: req.url, target: req.headers['x-amz-target'] as string, body };
      res.writeHead(400, [
        ['x-amzn-ErrorType', 'BadRequestException'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ]);
      res.write('{"message":"ERROR: "');
      res.end(',"more":"\u00e9\u4e2d"}');
    });

    // Act
    const response = await nodeFetch(new URL(url), {
      method: 'POST',
      headers: { 'x-amz-target': 'Service.Operation', 'content-type': 'application/json' },
      body: '{"sql":"select 1 \u00e9"}',
    });

    // Assess
    expect(seen).toEqual({
      method: 'POST',
      url: '/path?q=1',
      target: 'Service.Operation',
      body: '{"sql":"select 1 \u00e9"}',
    });
    expect(response.status).toBe(400);
    expect(response.ok).toBe(false);
    expect(response.headers.get('X-Amzn-ErrorType')).toBe('BadRequestException');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(await response.text()).toBe('{"message":"ERROR: ","more":"\u00e9\u4e2d"}');
    expect(await response.json()).toEqual({ message: 'ERROR: ', more: '\u00e9\u4e2d' });
  });

  it('reads prototype names as absent headers, never as the prototype', async () => {
    const url = await serve((_req, res) => res.end('{}'));

    const response = await nodeFetch(url);

    expect(response.ok).toBe(true);
    expect(response.headers.get('__proto__')).toBeNull();
    expect(response.headers.get('constructor')).toBeNull();
  });

  it('rejects as fetch does when nothing listens: TypeError with the socket error as cause', async () => {
    const url = await serve((_req, res) => res.end());
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;

    const error = await nodeFetch(url).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('rejects with the socket error when the connection is cut mid-answer', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 10);
    });

    const error = await nodeFetch(url).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as { cause?: { code?: string } }).cause?.code).toMatch(
      /^(ECONNRESET|ERR_STREAM_PREMATURE_CLOSE)$/,
    );
  });

  it('gives up with the signal’s reason at its timeout, and ends the request', async () => {
    let closed = false;
    const url = await serve((req) => {
      req.socket.on('close', () => (closed = true));
    });

    const started = Date.now();
    const error = await nodeFetch(url, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect.poll(() => closed).toBe(true);
  });

  it('sends nothing when the caller’s signal is already aborted', async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests += 1;
      res.end();
    });
    const controller = new AbortController();
    controller.abort(new Error('the caller left'));

    await expect(nodeFetch(url, { signal: controller.signal })).rejects.toThrow('the caller left');
    expect(requests).toBe(0);
  });

  it('refuses a URL that is neither http nor https', async () => {
    const error = await nodeFetch('ftp://127.0.0.1/x').catch((e: unknown) => e);

    expect(error).toMatchObject({ message: 'fetch failed', cause: { message: 'unsupported protocol ftp:' } });
  });
});
