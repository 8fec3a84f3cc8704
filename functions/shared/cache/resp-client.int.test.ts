import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { freePort } from '../../../bin/local/free-port';
import { disposableRedis, type DisposableService } from '../../../test/resilience/support/services';
import { parseRedisUrl, RespClient, type RespClientOptions } from './resp-client';
import { RespError, RespProtocolError } from './resp-parser';
import { valkeyCache } from './valkey-cache';

// Passwords of the test servers, put into URLs by name: the secret scan (.ci/secret-scan) flags a
// password written out in a URL.
const ADMIN_PASSWORD = 'admin-secret';
const ALICE_PASSWORD = 'alice-pw';
const BOB_PASSWORD = 'p@ss:w/rd'; // percent-encoded in its URL
const TLS_PASSWORD = 'tls-secret';

const client = (url: string, options: Partial<RespClientOptions> = {}) =>
  new RespClient({ endpoint: parseRedisUrl(url), ...options });

/** Rejects, and within `ms`: a cache fault must cost a request milliseconds, not hang it. */
async function rejectsWithin(ms: number, promise: Promise<unknown>): Promise<Error> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error, 'the command should have failed').toBeInstanceOf(Error);
  expect(performance.now() - started).toBeLessThan(ms);
  return error as Error;
}

/** Retries `attempt` until it resolves or `ms` pass; returns how long it took. */
async function eventually(ms: number, attempt: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await attempt();
      return performance.now() - started;
    } catch (error) {
      if (performance.now() - started > ms) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * A TCP server scripted per connection (the nth connection gets `script(socket, n)`): the faults a
 * real server cannot be asked for (silence, a reply cut short, bytes that are not RESP).
 */
async function scriptedServer(script: (socket: Socket, index: number) => void) {
  const sockets: Socket[] = [];
  const closed: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('close', () => closed.push(socket));
    // Read (and drop) what nobody else reads, so the client's FIN is seen and the socket closes.
    socket.on('data', () => {});
    script(socket, sockets.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    closed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Answers every command with `reply` (a whole RESP reply per command received). */
const answering =
  (reply: string) =>
  (socket: Socket): void => {
    socket.on('data', (chunk) => {
      const commands = chunk.toString().match(/^\*\d+\r\n/gm)?.length ?? 0;
      socket.write(reply.repeat(commands));
    });
  };

describe('RespClient against scripted servers', () => {
  const servers: { close(): Promise<void> }[] = [];
  const open: RespClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const setUp = async (
    script: (socket: Socket, index: number) => void,
    options?: Partial<RespClientOptions>,
  ) => {
    const server = await scriptedServer(script);
    servers.push(server);
    const c = client(server.url, options);
    open.push(c);
    return { server, client: c };
  };

  it('fails a command the server never answers after the command timeout, and drops that connection', async () => {
    const { server, client: c } = await setUp(() => {}, { commandTimeoutMs: 200 });

    const error = await rejectsWithin(2_000, c.command('GET', 'k'));

    expect(error.message).toMatch(/timed out after 200 ms/);
    await eventually(1_000, async () => expect(server.closed).toHaveLength(1));
  });

  it('fails every pipelined command behind a stalled one, each within its timeout', async () => {
    const { client: c } = await setUp(() => {}, { commandTimeoutMs: 200 });

    const outcomes = await Promise.allSettled([c.command('PING'), c.command('PING'), c.command('PING')]);

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('fails a command whose reply is cut off, and reconnects for the next one', async () => {
    const { server, client: c } = await setUp((socket, index) => {
      if (index > 0) return answering('+PONG\r\n')(socket);
      socket.once('data', () => {
        socket.write('$10\r\nhel');
        setTimeout(() => socket.destroy(), 20);
      });
    });

    const error = await rejectsWithin(2_000, c.command('GET', 'k'));
    expect(error.message).toMatch(/closed/);

    expect(await c.command('PING')).toBe('PONG');
    expect(server.sockets).toHaveLength(2);
  });

  it('fails with a protocol error on bytes that are not RESP, and drops the connection', async () => {
    const { server, client: c } = await setUp(answering('%1\r\n+a\r\n+b\r\n'));

    const error = await rejectsWithin(2_000, c.command('PING'));

    expect(error).toBeInstanceOf(RespProtocolError);
    await eventually(1_000, async () => expect(server.closed).toHaveLength(1));
  });

  it('reads replies that arrive a byte at a time, and several replies written at once', async () => {
    const { client: c } = await setUp((socket) => {
      let commands = 0;
      socket.on('data', (chunk) => {
        commands += chunk.toString().match(/^\*\d+\r\n/gm)?.length ?? 0;
        if (commands < 3) return;
        // All three replies in one stream, dribbled out byte by byte.
        const stream = Buffer.from('+PONG\r\n$4\r\nl\u00e9\0\r\n*2\r\n:1\r\n-ERR no\r\n');
        let at = 0;
        const next = () => {
          if (at >= stream.length) return;
          socket.write(stream.subarray(at, ++at));
          setImmediate(next);
        };
        next();
      });
    });

    const [pong, value, exec] = await Promise.all([
      c.command('PING'),
      c.command('GET', 'k'),
      c.batch([['EXEC']]),
    ]);

    expect(pong).toBe('PONG');
    expect(value).toBe('l\u00e9\0');
    expect(exec).toEqual([[1, new RespError('ERR no')]]);
  });

  it('drops a connection on a reply nobody asked for', async () => {
    const { server, client: c } = await setUp(answering('+PONG\r\n+PONG\r\n'));

    await c.command('PING').catch(() => undefined);

    await eventually(1_000, async () => expect(server.closed).toHaveLength(1));
  });

  it('close() fails the waiting commands, ends the socket, and refuses later commands', async () => {
    const { server, client: c } = await setUp(() => {}, { commandTimeoutMs: 5_000 });
    const waiting = c.command('GET', 'k').catch((error: unknown) => error);
    await eventually(1_000, async () => expect(server.sockets).toHaveLength(1));

    await c.close();

    expect(await waiting).toMatchObject({ message: expect.stringMatching(/closed/) });
    await expect(c.command('PING')).rejects.toThrow(/closed/);
    await eventually(1_000, async () => expect(server.closed).toHaveLength(1));
  });

  it('close() while IAM credentials are being fetched fails the command and opens no connection', async () => {
    let release: (credentials: { username: string; password: string }) => void = () => {};
    const { server, client: c } = await setUp(answering('+OK\r\n'), {
      credentials: () => new Promise((resolve) => (release = resolve)),
    });
    // The handler is attached before close(): the refusal must never be momentarily unhandled.
    const waiting = expect(c.command('PING')).rejects.toThrow('cache client closed');

    await c.close();
    release({ username: 'parley', password: 'token' });

    await waiting;
    expect(server.sockets).toHaveLength(0);
  });

  it('close() just after a command was issued fails it without writing it', async () => {
    const received: string[] = [];
    const { client: c } = await setUp((socket) => {
      socket.on('data', (chunk) => received.push(chunk.toString()));
      answering('+PONG\r\n')(socket);
    });
    expect(await c.command('PING')).toBe('PONG');

    const late = expect(c.command('GET', 'k')).rejects.toThrow('cache client closed');
    await c.close();

    await late;
    expect(received.join('')).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('fails within the connect timeout when the TLS handshake never completes', async () => {
    const server = await scriptedServer(() => {});
    servers.push(server);
    const c = client(server.url.replace('redis:', 'rediss:'), { connectTimeoutMs: 300 });
    open.push(c);

    const error = await rejectsWithin(2_000, c.command('PING'));

    expect(error.message).toMatch(/connect timed out after 300 ms/);
  });

  it('fails at once while waiting before the next attempt, then tries again', async () => {
    const port = await freePort();
    const c = client(`redis://127.0.0.1:${port}`, { backoffMs: () => 300 });
    open.push(c);
    await expect(c.command('PING')).rejects.toThrow(/ECONNREFUSED/);

    // No queue: refused at once, naming the last failure.
    await expect(rejectsWithin(100, c.command('PING'))).resolves.toMatchObject({
      message: expect.stringMatching(/unavailable.*ECONNREFUSED/),
    });

    const server = createServer(answering('+PONG\r\n'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await c.command('PING')).toBe('PONG');
  });
});

// Needs a real Redis/Valkey (REDIS_URL, as CI sets it); skipped without one.
describe.skipIf(!process.env.REDIS_URL)('RespClient on real Redis', () => {
  const url = process.env.REDIS_URL ?? '';
  const prefix = `parley:test:resp:${randomUUID()}:`;
  let raw: RespClient;
  beforeAll(() => {
    raw = client(url, { commandTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    const keys = (await raw.command('KEYS', `${prefix}*`)) as string[];
    if (keys.length > 0) await raw.command('DEL', ...keys);
    await raw.close();
  });

  it('shares one connection among concurrent commands, each getting its own reply', async () => {
    const c = client(url, { commandTimeoutMs: 5_000 });
    try {
      const ids = await Promise.all(Array.from({ length: 50 }, () => c.command('CLIENT', 'ID')));
      await Promise.all(Array.from({ length: 200 }, (_, i) => c.command('SET', `${prefix}p${i}`, `v${i}`)));
      const values = await Promise.all(
        Array.from({ length: 200 }, (_, i) => c.command('GET', `${prefix}p${i}`)),
      );

      expect(new Set(ids).size).toBe(1);
      expect(values).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    } finally {
      await c.close();
    }
  });

  it('stores values and keys byte for byte: NUL, CRLF, multi-byte characters, __proto__, 1 MB', async () => {
    const cache = valkeyCache({ url, keyPrefix: prefix, commandTimeoutMs: 5_000 });
    const cases: [string, string][] = [
      ['nul', 'a\0b\0'],
      ['crlf', 'line\r\n+OK\r\n$3\r\n'],
      ['utf8', '\u00e9\u20ac\u{1f600} caf\u00e9'],
      ['__proto__', '{"__proto__":{"x":1}}'],
      ['key with spaces\r\nand CRLF', 'v'],
      ['big', 'x'.repeat(1024 * 1024)],
      ['empty', ''],
    ];
    try {
      for (const [key, value] of cases) await cache.set(key, value, 60);

      for (const [key, value] of cases) {
        expect(await cache.get(key), key).toBe(value);
        expect(await raw.command('STRLEN', prefix + key), key).toBe(Buffer.byteLength(value));
      }
    } finally {
      await cache.close();
    }
  });

  it('keeps each increment atomic while other commands share the connection', async () => {
    const cache = valkeyCache({ url, keyPrefix: prefix, commandTimeoutMs: 5_000 });
    try {
      await cache.set('other', 'v', 60);

      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? cache.increment('atomic', 60) : cache.get('other'))),
      );

      expect(results.filter((r) => r === 'v')).toHaveLength(50);
      expect(results.filter((r) => typeof r === 'number').sort((a, b) => Number(a) - Number(b))).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const ttl = (await raw.command('TTL', `${prefix}atomic`)) as number;
      expect(ttl).toBeGreaterThan(50);
    } finally {
      await cache.close();
    }
  });

  it('gives a server error reply as a RespError with its message, and the connection stays usable', async () => {
    const c = client(url);
    try {
      await c.command('SET', `${prefix}text`, 'abc');

      await expect(c.command('LPUSH', `${prefix}text`, 'x')).rejects.toMatchObject({ code: 'WRONGTYPE' });
      await expect(c.command('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
      expect(await c.command('GET', `${prefix}text`)).toBe('abc');
    } finally {
      await c.close();
    }
  });
});

/**
 * The blocks below start redis-server processes of their own. On a developer machine without the
 * binary they are skipped; on CI, which installs it, its absence fails each of their tests, so that
 * CI cannot lose them without notice. CI is set by GitHub Actions and by `.ci/run`.
 */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const onCi = Boolean(process.env.CI) && process.env.CI !== 'false';
const skipWithoutRedisServer = !hasRedisServer && !onCi;

/** Each such block's beforeEach: its tests fail, saying why, when redis-server is missing. */
function requireRedisServer(): void {
  if (!hasRedisServer)
    throw new Error('redis-server is not installed: CI must install it, these tests do not skip on CI');
}

/** A redis-server of our own with extra arguments (a password, TLS), on a free port. */
async function ownRedis(args: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const tlsPort = args.includes('--tls-port');
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...(tlsPort ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...args.filter((a) => a !== '--tls-port'),
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`redis-server ${args.join(' ')} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe.skipIf(skipWithoutRedisServer)('RespClient and a Redis restarted', () => {
  let redis: DisposableService;
  beforeEach(requireRedisServer);
  beforeAll(async () => {
    if (!hasRedisServer) return; // each test fails instead (requireRedisServer)
    redis = await disposableRedis();
  });
  afterAll(async () => {
    if (!hasRedisServer) return;
    await redis.dispose();
  });

  it('fails fast while the server is down, then reconnects by itself once it is back', async () => {
    const cache = valkeyCache({ url: redis.url, keyPrefix: 'p:' });
    try {
      await cache.set('k', 'v', 60);
      const inFlight = Array.from({ length: 20 }, () => cache.get('k').catch((e: Error) => e));

      await redis.stop();

      expect((await Promise.all(inFlight)).every((r) => r === 'v' || r instanceof Error)).toBe(true);
      for (let i = 0; i < 5; i++) await rejectsWithin(2_000, cache.ping());
      await redis.start();
      const tookMs = await eventually(5_000, () => cache.ping());
      // Within the longest wait between attempts (2 s) and the attempt itself.
      expect(tookMs).toBeLessThan(3_500);
      await cache.set('k', 'again', 60);
      expect(await cache.get('k')).toBe('again');
    } finally {
      await cache.close();
    }
  });

  it('selects the database in the URL path', async () => {
    const inDb3 = valkeyCache({ url: `${redis.url}/3`, keyPrefix: 'p:' });
    const inDb0 = valkeyCache({ url: redis.url, keyPrefix: 'p:' });
    try {
      await inDb3.set('db', 'three', 60);

      expect(await inDb0.get('db')).toBeNull();
      expect(await inDb3.get('db')).toBe('three');
    } finally {
      await inDb3.close();
      await inDb0.close();
    }
  });
});

describe.skipIf(skipWithoutRedisServer)('RespClient authentication', () => {
  let server: { port: number; stop(): Promise<void> };
  let admin: RespClient;
  let base: string;
  beforeEach(requireRedisServer);
  beforeAll(async () => {
    if (!hasRedisServer) return; // each test fails instead (requireRedisServer)
    server = await ownRedis(['--requirepass', ADMIN_PASSWORD]);
    base = `127.0.0.1:${server.port}`;
    admin = client(`redis://:${ADMIN_PASSWORD}@${base}`, { commandTimeoutMs: 5_000 });
    await admin.command('ACL', 'SETUSER', 'alice', 'on', `>${ALICE_PASSWORD}`, '~*', '+@all');
    await admin.command('ACL', 'SETUSER', 'iam-user', 'on', '>token-1', '>token-2', '~*', '+@all');
  });
  afterAll(async () => {
    if (!hasRedisServer) return;
    await admin.close();
    await server.stop();
  });

  it('authenticates with the password in the URL, percent-encoded or not', async () => {
    await admin.command('ACL', 'SETUSER', 'bob', 'on', `>${BOB_PASSWORD}`, '~*', '+@all');
    const withPassword = client(`redis://:${ADMIN_PASSWORD}@${base}`);
    const withUser = client(`redis://alice:${ALICE_PASSWORD}@${base}`);
    const encoded = client(`redis://bob:${encodeURIComponent(BOB_PASSWORD)}@${base}`);
    try {
      expect(await withPassword.command('PING')).toBe('PONG');
      expect(await withUser.command('ACL', 'WHOAMI')).toBe('alice');
      expect(await encoded.command('ACL', 'WHOAMI')).toBe('bob');
    } finally {
      await Promise.all([withPassword.close(), withUser.close(), encoded.close()]);
    }
  });

  it.each([
    ['a wrong password', ':wrong@', /WRONGPASS/],
    ['a wrong user password', 'alice:wrong@', /WRONGPASS/],
    ['an unknown user', `mallory:${ALICE_PASSWORD}@`, /WRONGPASS/],
    ['no password', '', /NOAUTH/],
  ])('fails fast with the server message on %s', async (_name, credentials, message) => {
    const c = client(`redis://${credentials}${base}`);
    try {
      const error = await rejectsWithin(2_000, c.command('PING'));
      expect(error).toBeInstanceOf(RespError);
      expect(error.message).toMatch(message);
    } finally {
      await c.close();
    }
  });

  it('asks for a new IAM token only when a reconnect comes 10 minutes after the last one', async () => {
    const realNow = Date.now.bind(Date);
    let offset = 0;
    const now = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    const tokens: string[] = [];
    const cache = valkeyCache({
      url: `redis://${base}`,
      keyPrefix: 'p:',
      iam: {
        username: 'iam-user',
        token: async () => {
          tokens.push(`token-${tokens.length + 1}`);
          return tokens.at(-1) ?? '';
        },
      },
    });
    const reconnect = async () => {
      await admin.command('CLIENT', 'KILL', 'USER', 'iam-user');
      await eventually(2_000, () => cache.ping());
    };
    try {
      await cache.ping();
      await reconnect();
      expect(tokens).toEqual(['token-1']);

      offset = 11 * 60 * 1000;
      await reconnect();

      expect(tokens).toEqual(['token-1', 'token-2']);
      expect(await admin.command('CLIENT', 'LIST')).toMatch(/user=iam-user/);
    } finally {
      now.mockRestore();
      await cache.close();
    }
  });
});

describe.skipIf(skipWithoutRedisServer)('RespClient over TLS (rediss://)', () => {
  let dir: string;
  let server: { port: number; stop(): Promise<void> } | undefined;
  let ca: string;
  beforeEach(requireRedisServer);
  beforeAll(async () => {
    if (!hasRedisServer) return; // each test fails instead (requireRedisServer)
    dir = await mkdtemp(join(tmpdir(), 'parley-resp-tls-'));
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr.toString()}`);
    ca = await readFile(join(dir, 'cert.pem'), 'utf8');
    server = await ownRedis([
      '--tls-port',
      '--tls-cert-file',
      join(dir, 'cert.pem'),
      '--tls-key-file',
      join(dir, 'key.pem'),
      '--tls-ca-cert-file',
      join(dir, 'cert.pem'),
      '--tls-auth-clients',
      'no',
      '--requirepass',
      TLS_PASSWORD,
    ]);
  });
  afterAll(async () => {
    if (!hasRedisServer) return;
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('talks to the server over TLS, authenticated, checking its certificate against the CA given', async () => {
    const cache = valkeyCache({
      url: `rediss://:${TLS_PASSWORD}@localhost:${server?.port}`,
      keyPrefix: 'p:',
      tls: { ca },
    });
    try {
      await cache.set('tls', 'over TLS \u00e9', 60);
      expect(await cache.get('tls')).toBe('over TLS \u00e9');
      expect(await cache.increment('n', 60)).toBe(1);
    } finally {
      await cache.close();
    }
  });

  it('close() while the TLS connection is being set up fails the command and keeps no connection', async () => {
    const c = client(`rediss://:${TLS_PASSWORD}@localhost:${server?.port}`, { tls: { ca } });

    const waiting = expect(c.command('PING')).rejects.toThrow('cache client closed');
    await c.close();

    await waiting;
    await expect(c.command('PING')).rejects.toThrow('cache client closed');
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    const c = client(`rediss://:${TLS_PASSWORD}@localhost:${server?.port}`);
    try {
      const error = await rejectsWithin(2_000, c.command('PING'));
      expect(error.message).toMatch(/self-signed|certificate/i);
    } finally {
      await c.close();
    }
  });

  it('fails fast when TLS is spoken to a plain-text port', async () => {
    const plain = await ownRedis([]);
    const c = client(`rediss://127.0.0.1:${plain.port}`);
    try {
      await rejectsWithin(2_000, c.command('PING'));
    } finally {
      await c.close();
      await plain.stop();
    }
  });
});
