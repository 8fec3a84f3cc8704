import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The part of `fetch` our AWS clients and the JWKS fetch use, on `node:http(s)`. Node's global
 * `fetch` is undici, which Node loads on the first call: ~35–55 ms of the first request of every
 * new Lambda instance (docs/performance.md), for a POST of a JSON body and a read of the answer
 * that `https.request` does without it. It behaves as `fetch` does where the callers look:
 * - the answer's status, headers (`get`, case-insensitive) and whole body as text or JSON;
 * - a failure to connect or a connection cut rejects with `TypeError('fetch failed')` whose
 *   `cause` is the socket error (its `code`, e.g. ECONNREFUSED);
 * - an aborted `signal` (the caller's, or `AbortSignal.timeout`) rejects with its reason and
 *   ends the request.
 * Connections are kept alive by Node's global agents, as undici keeps its own.
 */
export interface FetchHeaders {
  get(name: string): string | null;
}

export interface FetchResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: FetchHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface FetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** What the clients call; the global `fetch` fits it too (tests pass their own). */
export type Fetch = (url: URL | string, init?: FetchInit) => Promise<FetchResponse>;

const failed = (cause: unknown) => new TypeError('fetch failed', { cause });

/** A header of the answer, repeated values joined as `fetch` joins them; own names only. */
function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const key = name.toLowerCase();
  if (!Object.hasOwn(headers, key)) return null;
  const value = headers[key];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

export const nodeFetch: Fetch = (input, init = {}) =>
  new Promise<FetchResponse>((resolve, reject) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const { signal } = init;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const send =
      url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) {
      reject(failed(new Error(`unsupported protocol ${url.protocol}`)));
      return;
    }
    const req = send(url, { method: init.method ?? 'GET', headers: init.headers });
    const onAbort = () => {
      reject(signal?.reason);
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    // Every socket error ends here: a promise settles once, so a later one changes nothing.
    req.on('error', (error) => {
      settle();
      reject(failed(error));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        settle();
        reject(failed(error));
      });
      res.on('end', () => {
        settle();
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: { get: (name) => headerOf(res.headers, name) },
          text: async () => text,
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    req.end(init.body);
  });
