import type { Cache } from './cache';
import { parseRedisUrl, RespClient, type RespClientOptions } from './resp-client';
import { RespError, type RespReply } from './resp-parser';

export interface ValkeyOptions {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. */
  readonly url: string;
  /** Prefix for every key, so stages and tests never collide. */
  readonly keyPrefix?: string;
  /** Per-command ceiling: a slow cache must not slow the API. */
  readonly commandTimeoutMs?: number;
  /** IAM authentication (ElastiCache): the user, and a fresh token on demand. */
  readonly iam?: { readonly username: string; readonly token: () => Promise<string> };
  /** Extra TLS settings for rediss:// (a private certificate authority, in tests). */
  readonly tls?: RespClientOptions['tls'];
}

/** Tokens live 15 minutes; renew well before, so a reconnect never presents an expired one. */
const TOKEN_RENEW_MS = 10 * 60 * 1000;

/**
 * Valkey/Redis through our RESP client (resp-client.ts), tuned to fail fast: no offline queue, a
 * 1 s connect timeout and a short command timeout, so a cache outage costs a request
 * milliseconds, not seconds. Errors surface on the command that failed, never as events.
 */
export function valkeyCache(options: ValkeyOptions): Cache {
  const prefix = options.keyPrefix ?? 'parley:';
  // A bad URL fails every command (the cache is optional: callers carry on without it).
  const client = clientOrError(options);
  const run = (...args: (string | number)[]): Promise<RespReply> =>
    client instanceof Error ? Promise.reject(client) : client.command(...args);
  return {
    kind: 'valkey',
    get: async (key) => {
      const value = await run('GET', prefix + key);
      return typeof value === 'string' ? value : null;
    },
    set: async (key, value, ttlSeconds, options) => {
      const reply = await run(
        'SET',
        prefix + key,
        value,
        'EX',
        ttlSeconds,
        ...(options?.onlyIfAbsent ? ['NX'] : []),
      );
      // OK when stored; with NX, a null reply when the key was taken
      return reply !== null;
    },
    increment: async (key, ttlSeconds) => {
      if (client instanceof Error) throw client;
      const name = prefix + key;
      // One write: nothing else on the shared connection can land inside the transaction.
      const replies = await client.batch([
        ['MULTI'],
        ['INCR', name],
        ['EXPIRE', name, ttlSeconds, 'NX'],
        ['EXEC'],
      ]);
      const queued = replies.slice(0, 3).find((reply) => reply instanceof RespError);
      if (queued) throw queued;
      const exec = replies[3];
      if (exec instanceof RespError) throw exec;
      if (!Array.isArray(exec)) throw new Error('cache transaction aborted');
      const [count, expire] = exec;
      if (count instanceof RespError) throw count;
      if (expire instanceof RespError) throw expire;
      if (typeof count !== 'number') throw new Error('cache INCR answered something other than a number');
      return count;
    },
    delete: async (key) => {
      await run('DEL', prefix + key);
    },
    ping: async () => {
      await run('PING');
    },
    close: async () => {
      if (!(client instanceof Error)) await client.close();
    },
  };
}

function clientOrError(options: ValkeyOptions): RespClient | Error {
  try {
    const endpoint = parseRedisUrl(options.url);
    let token: { value: string; at: number } | undefined;
    const iam = options.iam;
    return new RespClient({
      endpoint,
      connectTimeoutMs: 1000,
      commandTimeoutMs: options.commandTimeoutMs ?? 500,
      ...(options.tls ? { tls: options.tls } : {}),
      // Each new connection authenticates with a token younger than TOKEN_RENEW_MS.
      ...(iam
        ? {
            credentials: async () => {
              if (!token || Date.now() - token.at >= TOKEN_RENEW_MS)
                token = { value: await iam.token(), at: Date.now() };
              return { username: iam.username, password: token.value };
            },
          }
        : {}),
    });
  } catch (error) {
    return error as Error;
  }
}
