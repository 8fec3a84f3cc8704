import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { TokenVerifier } from '../../functions/shared/http/auth';
import {
  apiGateway,
  claimDataDir,
  localHttpServer,
  localRequestListener,
  settleWithin,
  stopInReverse,
} from './dev-server';
import type { ApiHandler } from './handlers';
import { installLambdaStreamingGlobals, type StreamingHandler } from './streaming';

let server: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  const open = server;
  server = undefined;
  if (open) {
    open.closeAllConnections();
    await new Promise<void>((resolve) => open.close(() => resolve()));
  }
});

/** A loopback HTTP server around a request listener; its origin. */
async function serve(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(listener);
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}

async function problem(response: Response) {
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    requestId: response.headers.get('x-request-id'),
    body: (await response.json()) as { status: number; detail?: string },
  };
}

describe('settleWithin', () => {
  // Errors and hangs: banner.test.ts. Here, what else a failing stop may throw.
  it('answers what was thrown in words even when it is not an Error', async () => {
    expect(await settleWithin(Promise.reject('plain refusal'), 1_000)).toBe('plain refusal');
  });
});

describe('stopInReverse', () => {
  it('stops the parts in reverse order of start, reporting one that fails or hangs and stopping the rest', async () => {
    // Prepare
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const stopped: string[] = [];
    const stops = [
      async () => void stopped.push('database'),
      () => Promise.reject(new Error('cache already closed')),
      () => new Promise<void>(() => stopped.push('emulator (hangs)')),
      async () => void stopped.push('http server'),
    ];

    // Act
    await stopInReverse(stops, 20);

    // Assess
    expect(stopped).toEqual(['http server', 'emulator (hangs)', 'database']);
    expect(error.mock.calls).toEqual([
      ['While stopping: gave up after 0.02 s'],
      ['While stopping: cache already closed'],
    ]);
  });
});

describe('claimDataDir', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-claim-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const pidFile = () => join(dataDir, 'stack.pid');

  it('claims a fresh data folder with this process id', async () => {
    await claimDataDir(dataDir);
    expect(await readFile(pidFile(), 'utf8')).toBe(String(process.pid));
  });

  it('refuses a folder another live Parley process runs from, leaving its claim alone', async () => {
    const owner = process.ppid; // the test runner's parent: alive, and not this process
    await writeFile(pidFile(), String(owner));
    await expect(claimDataDir(dataDir)).rejects.toThrow(
      `Parley is already running from ${dataDir} (pid ${owner}); stop it first`,
    );
    expect(await readFile(pidFile(), 'utf8')).toBe(String(owner));
  });

  it('takes over from a run that was killed, from this process itself, or from an unreadable claim', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    for (const previous of [String(child.pid), String(process.pid), 'not a pid\n', '-4', '0']) {
      await writeFile(pidFile(), previous);
      await claimDataDir(dataDir);
      expect(await readFile(pidFile(), 'utf8'), previous).toBe(String(process.pid));
    }
  });
});

describe('localRequestListener', () => {
  const noWebApp = async () => {
    throw new Error('the web app was not expected');
  };

  it('sends /api and below to the gateway with the whole URL, and every other path to the web app', async () => {
    const seen: string[] = [];
    const origin = await serve(
      localRequestListener({
        origin: 'http://127.0.0.1:1',
        api: async (_req, res, url) => {
          seen.push(`api ${url.pathname}${url.search}`);
          res.end('api');
        },
        webApp: async (path, res) => {
          seen.push(`web ${path}`);
          res.end('web');
        },
      }),
    );
    for (const path of ['/api', '/api/me?x=1', '/apis', '/', '/chat/abc'])
      await (await fetch(`${origin}${path}`)).text();
    expect(seen).toEqual(['api /api', 'api /api/me?x=1', 'web /apis', 'web /', 'web /chat/abc']);
  });

  it('answers a request target that is not a path with 400 problem+json', async () => {
    const origin = await serve(
      localRequestListener({ origin: 'http://127.0.0.1:1', api: noWebApp, webApp: noWebApp }),
    );
    const answer = await problem(await fetch(`${origin}//`));
    expect(answer).toMatchObject({
      status: 400,
      type: 'application/problem+json',
      body: { status: 400, detail: 'url: not a path' },
    });
  });

  it('answers 500 problem+json, without the cause, when a request fails before its answer started', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const origin = await serve(
      localRequestListener({
        origin: 'http://127.0.0.1:1',
        api: noWebApp,
        webApp: async () => {
          throw new Error('index.html vanished');
        },
      }),
    );
    const response = await fetch(`${origin}/`);
    const answer = await problem(response);
    expect(answer).toMatchObject({ status: 500, type: 'application/problem+json', body: { status: 500 } });
    expect(JSON.stringify(answer.body)).not.toContain('vanished');
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(error).toHaveBeenCalledWith('Local server error', {
      requestId: answer.requestId,
      error: expect.objectContaining({ name: 'Error', message: 'index.html vanished' }),
    });
  });

  it("prints a failure under the request id the client got, with none of the error's other fields", async () => {
    // Prepare: a driver's error, its detail holding the row it refused
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failure = Object.assign(new Error('new row violates check constraint "c"'), {
      code: '23514',
      detail: 'Failing row contains (planted message content).',
    });
    const origin = await serve(
      localRequestListener({
        origin: 'http://127.0.0.1:1',
        api: async () => {
          throw failure;
        },
        webApp: noWebApp,
      }),
    );

    // Act
    const answer = await problem(await fetch(`${origin}/api/conversations`));

    // Assess
    expect(answer.status).toBe(500);
    expect(error).toHaveBeenCalledWith('Local server error', {
      requestId: answer.requestId,
      error: expect.objectContaining({ message: 'new row violates check constraint "c"', code: '23514' }),
    });
    expect(JSON.stringify(error.mock.calls)).not.toContain('planted');
  });

  it('cuts the connection when a request fails after its answer started, so the client does not wait', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const origin = await serve(
      localRequestListener({
        origin: 'http://127.0.0.1:1',
        api: async (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.write('event: delta\n\n');
          throw new Error('the model went away');
        },
        webApp: noWebApp,
      }),
    );
    const response = await fetch(`${origin}/api/conversations/x/messages`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });
});

describe('localHttpServer', () => {
  /** Starts a local HTTP server on a free port; stopped after the test. */
  async function listening() {
    const http = localHttpServer();
    server = http.server;
    await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
    const port = (http.server.address() as AddressInfo).port;
    return { http, port, origin: `http://127.0.0.1:${port}` };
  }

  /** A request whose answer waits until `finish` is called. */
  function slowRoute() {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const arrived = new Promise<void>((resolve) => (started = resolve));
    const listener = async (_req: IncomingMessage, res: ServerResponse) => {
      started();
      await finished;
      res.end('finished');
    };
    return { listener, arrived, finish };
  }

  it('answers 503 "starting" with Retry-After until it is opened', async () => {
    // Prepare
    const { origin } = await listening();

    // Act
    const response = await fetch(`${origin}/api/health`);

    // Assess
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await problem(response)).toMatchObject({
      status: 503,
      type: 'application/problem+json',
      body: { detail: 'Parley is starting; try again in a moment.' },
    });
  });

  it('waits for a request in progress when it drains, answering new ones 503 "stopping" meanwhile', async () => {
    // Prepare: a request in progress on a connection, and a second one sent on it once draining.
    const { http, port } = await listening();
    const slow = slowRoute();
    http.open(slow.listener);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /api/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await slow.arrived;

    // Act
    let drained: number | undefined;
    const draining = http.drain(5_000).then((left) => (drained = left));
    socket.write('GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const drainedBeforeFinish = drained;
    slow.finish();
    await draining;
    await ended;

    // Assess: the drain waited for the first request, which was answered; the second was refused.
    expect(drainedBeforeFinish).toBeUndefined();
    expect(drained).toBe(0);
    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toMatch(/finished$/);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nRetry-After: 5\r\n/i);
    expect(second).toMatch(/\r\nConnection: close\r\n/i);
    expect(second).toContain('Parley is stopping; try again in a moment.');
    await http.close();
  });

  it('gives up on a request that outlasts the drain, and cuts it when it closes', async () => {
    // Prepare
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { http, origin } = await listening();
    const slow = slowRoute();
    http.open(slow.listener);
    const answer = fetch(`${origin}/api/slow`);
    await slow.arrived;

    // Act
    const left = await http.drain(20);
    await http.close();

    // Assess
    expect(left).toBe(1);
    await expect(answer).rejects.toThrow();
    expect(error).toHaveBeenCalledWith('While stopping: 1 request(s) still in progress were cut off');
    slow.finish();
  });

  it('closes at once when nothing is in progress, and again without waiting', async () => {
    // Prepare
    const { http, origin } = await listening();
    http.open(async (_req, res) => void res.end('ok'));
    expect(await (await fetch(`${origin}/`)).text()).toBe('ok');

    // Act
    await http.close();
    await http.close();

    // Assess
    expect(http.server.listening).toBe(false);
  });
});

describe('apiGateway', () => {
  const claims = { sub: 'user-1', 'cognito:groups': ['members'], token_use: 'access' };
  const verifier: TokenVerifier = {
    verify: async (token) => {
      if (token !== 'header.good.signature') throw new Error('bad signature');
      return claims;
    },
  };
  let events: APIGatewayProxyEvent[];
  const echo: ApiHandler = async (event) => {
    events.push(event);
    return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' };
  };
  const failOnLoad = async () => {
    throw new Error('no function should run');
  };

  /** The gateway on a loopback server, as the local server mounts it. */
  const gatewayAt = (loadHandler: Parameters<typeof apiGateway>[1] = async () => echo) =>
    serve((req, res) => {
      const url = new URL(req.url as string, 'http://127.0.0.1');
      apiGateway(verifier, loadHandler)(req, res, url).catch((error: unknown) => {
        res.writeHead(599).end(String(error));
      });
    });

  beforeEach(() => {
    events = [];
  });

  it.each([
    ['GET', '/api/nothing-here'],
    ['DELETE', '/api/health'],
    ['PUT', '/api/conversations'],
  ])('answers %s %s with 404 problem+json before any function runs', async (method, path) => {
    const origin = await gatewayAt(failOnLoad);
    const answer = await problem(await fetch(`${origin}${path}`, { method }));
    expect(answer).toMatchObject({
      status: 404,
      type: 'application/problem+json',
      body: { status: 404, detail: 'No such route.' },
    });
  });

  it('refuses a body over 10 MB with 413, as API Gateway does', async () => {
    const origin = await gatewayAt(failOnLoad);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${origin}/api/conversations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer header.good.signature' },
      });
      req.once('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      // The server may hang up before the whole upload is sent; the answer counts.
      req.once('error', (error) => (error.message.includes('EPIPE') ? undefined : reject(error)));
      req.end(Buffer.alloc(10 * 1024 * 1024 + 1, 'a'));
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ status: 413, detail: 'The body is over 10 MB.' });
  });

  it('refuses a signed-in route without a Bearer token or with a bad one, with 401 and no function call', async () => {
    const origin = await gatewayAt(failOnLoad);
    const missing = await problem(await fetch(`${origin}/api/me`));
    expect(missing).toMatchObject({
      status: 401,
      body: { detail: 'Send a Cognito access token as a Bearer token.' },
    });
    const wrong = await problem(
      await fetch(`${origin}/api/me`, { headers: { Authorization: 'Bearer header.forged.signature' } }),
    );
    expect(wrong).toMatchObject({ status: 401, body: { detail: 'The access token is invalid or expired.' } });
  });

  it('hands the verified claims to the function, as the Cognito authorizer does', async () => {
    const origin = await gatewayAt();
    const response = await fetch(`${origin}/api/me`, {
      headers: { Authorization: 'Bearer header.good.signature' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(events[0]?.requestContext.authorizer).toEqual({ claims });
    expect(events[0]?.requestContext.stage).toBe('local');
  });

  it('calls a public route without a token and without claims', async () => {
    const origin = await gatewayAt();
    expect((await fetch(`${origin}/api/health`)).status).toBe(200);
    expect(events[0]?.requestContext.authorizer).toBeNull();
  });

  it('passes hostile query parameters (__proto__, constructor, NUL) to the function as plain data', async () => {
    const origin = await gatewayAt();
    const response = await fetch(`${origin}/api/health?__proto__=polluted&constructor=x&q=a%00b`);
    expect(response.status).toBe(200);
    const query = events[0]?.queryStringParameters ?? {};
    expect(Object.getOwnPropertyNames(query).sort()).toEqual(['__proto__', 'constructor', 'q']);
    expect(Object.getOwnPropertyDescriptor(query, '__proto__')?.value).toBe('polluted');
    expect(query.q).toBe('a\u0000b');
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('streams the answer of a streaming function chunk by chunk', async () => {
    installLambdaStreamingGlobals();
    const lambda = (globalThis as unknown as { awslambda: { streamifyResponse<T>(h: T): T } }).awslambda;
    const streaming: StreamingHandler = lambda.streamifyResponse(async (_event, stream) => {
      stream.write('event: delta\ndata: "Hel"\n\n');
      stream.write('event: delta\ndata: "lo"\n\n');
      stream.end();
    });
    const origin = await gatewayAt(async () => streaming);
    const response = await fetch(`${origin}/api/conversations/abc/messages`, {
      method: 'POST',
      headers: { Authorization: 'Bearer header.good.signature', 'Content-Type': 'application/json' },
      body: '{"content":"hi"}',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('event: delta\ndata: "Hel"\n\nevent: delta\ndata: "lo"\n\n');
  });
});
