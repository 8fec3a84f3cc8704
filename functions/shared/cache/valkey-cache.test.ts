import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import type { Cache } from './cache';
import { RespError } from './resp-parser';
import { valkeyCache } from './valkey-cache';

/**
 * A loopback server that answers each complete request of `commands` commands with `reply`
 * (RESP as a server writes it), and records the commands it received: the answers a real server
 * gives only under conditions a test cannot set up (out of memory, a proxy in between).
 */
async function scripted(commands: number, reply: string) {
  const received: string[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let seen = 0;
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      seen += chunk.toString().match(/^\*\d+\r\n/gm)?.length ?? 0;
      while (seen >= commands) {
        seen -= commands;
        socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A cache on a scripted server that answers MULTI, INCR, EXPIRE, EXEC with `reply`. */
async function cacheAnswering(reply: string): Promise<Cache> {
  const server = await scripted(4, reply);
  const cache = valkeyCache({ url: server.url, keyPrefix: 'p:' });
  cleanup.push(server.close, cache.close);
  return cache;
}

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

describe('valkeyCache.increment on a server that refuses part of the transaction', () => {
  it('fails with the server’s refusal of INCR when it is queued (out of memory), not with EXECABORT', async () => {
    const cache = await cacheAnswering(
      `+OK\r\n-${OOM}\r\n+QUEUED\r\n-EXECABORT Transaction discarded because of previous errors.\r\n`,
    );

    const error = await cache.increment('rate:ada', 60).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RespError);
    expect(error).toMatchObject({ code: 'OOM', message: OOM });
  });

  it('fails with EXEC’s refusal when memory runs out between queueing and EXEC', async () => {
    const cache = await cacheAnswering(
      `+OK\r\n+QUEUED\r\n+QUEUED\r\n-EXECABORT Transaction discarded because of: -${OOM}\r\n`,
    );

    const error = await cache.increment('rate:ada', 60).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RespError);
    expect(error).toMatchObject({ code: 'EXECABORT' });
  });

  it('fails when EXEC answers null (an aborted transaction) instead of the replies', async () => {
    const cache = await cacheAnswering('+OK\r\n+QUEUED\r\n+QUEUED\r\n*-1\r\n');

    await expect(cache.increment('rate:ada', 60)).rejects.toThrow('cache transaction aborted');
  });

  it('fails when EXPIRE is refused, rather than counting in a key that would never expire', async () => {
    const cache = await cacheAnswering(
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n-ERR Unsupported option NX\r\n',
    );

    const error = await cache.increment('rate:ada', 60).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RespError);
    expect(error).toMatchObject({ message: 'ERR Unsupported option NX' });
  });

  it('fails when INCR answers something other than an integer', async () => {
    const cache = await cacheAnswering('+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$1\r\n1\r\n:1\r\n');

    await expect(cache.increment('rate:ada', 60)).rejects.toThrow(
      'cache INCR answered something other than a number',
    );
  });

  it('sends the transaction in one write, prefixed key, TTL only where the counter is new', async () => {
    const server = await scripted(4, '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:7\r\n:0\r\n');
    const cache = valkeyCache({ url: server.url, keyPrefix: 'parley:test:' });
    cleanup.push(server.close, cache.close);

    expect(await cache.increment('rate:ada', 60)).toBe(7);
    expect([server.received.join('')]).toEqual([
      '*1\r\n$5\r\nMULTI\r\n' +
        '*2\r\n$4\r\nINCR\r\n$20\r\nparley:test:rate:ada\r\n' +
        '*4\r\n$6\r\nEXPIRE\r\n$20\r\nparley:test:rate:ada\r\n$2\r\n60\r\n$2\r\nNX\r\n' +
        '*1\r\n$4\r\nEXEC\r\n',
    ]);
  });
});

describe('valkeyCache with a URL that is not a cache URL', () => {
  const cache = valkeyCache({ url: ['http://', 'hunter2@cache.example.test:6379'].join(':') });

  it.each([
    ['get', () => cache.get('k')],
    ['set', () => cache.set('k', 'v', 10)],
    ['increment', () => cache.increment('k', 10)],
    ['delete', () => cache.delete('k')],
    ['ping', () => cache.ping()],
  ])('fails %s with what is wrong with the URL, never its password', async (_name, operation) => {
    const error = await operation().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('cache URL scheme must be redis: or rediss:, not http:');
  });

  it('closes without error', async () => {
    expect(cache.kind).toBe('valkey');
    await expect(cache.close()).resolves.toBeUndefined();
  });
});
