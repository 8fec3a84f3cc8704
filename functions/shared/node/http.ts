/**
 * `node:http` for the Lambda bundles, taken with `require` (an esbuild alias puts this file where
 * bundled ES modules import `node:http`; lib/constructs/bundling-options.ts). Node 24 builds the
 * ES module view of a built-in by reading every export, and `node:http`'s `WebSocket`,
 * `CloseEvent` and `MessageEvent` are getters that load undici: ~40 ms of every cold start with
 * tracing on (the Powertools Tracer imports `node:http`), for classes nothing here uses.
 * `require` gives the same module object without touching them.
 */
import type * as NodeHttp from 'node:http';
import { createRequire } from 'node:module';

type Http = typeof NodeHttp;

const http = createRequire(import.meta.url)('node:http') as Http;

export default http;
// Every export but the getters (globalAgent and maxHeaderSize are read from `default`).
export const {
  METHODS,
  STATUS_CODES,
  Agent,
  ClientRequest,
  IncomingMessage,
  OutgoingMessage,
  Server,
  ServerResponse,
  createServer,
  get,
  request,
  setMaxIdleHTTPParsers,
  validateHeaderName,
  validateHeaderValue,
} = http;
