import type middy from '@middy/core';
import { requestHeader } from './request-header';
import type { ApiEvent, ApiResult } from './types';

/**
 * HSTS for two years with preload: the API is only ever reached over TLS. The API answers JSON to
 * `fetch()`, so it sends the headers that govern a response that is not a document: besides the
 * design's four, `X-Frame-Options: DENY` (the older form of `frame-ancestors 'none'`, as the OWASP
 * REST Security Cheat Sheet asks) and `Cross-Origin-Resource-Policy: same-site` (no cross-site
 * reads of an answer). The policies that only govern a document's own behaviour
 * (Permissions-Policy, Cross-Origin-Opener- and -Embedder-Policy, Origin-Agent-Cluster,
 * X-DNS-Prefetch-Control) and the legacy plug-in and IE ones are left out: shown as a page, an
 * answer is already held by `default-src 'none'`, and the web app's pages get their own from
 * CloudFront. (These were Middy's security-headers middleware with all but two of its headers off;
 * six lines here instead keep its 5 KB out of every bundle.)
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-site',
};

export interface ResponseHeadersOptions {
  /** The web app's origin: the only one CORS allows. */
  readonly webOrigin: string;
  /** `no-store` on authenticated routes; public ones may be cached briefly by nobody but the client. */
  readonly cacheControl: string;
}

/** A Vary value with `name` among its header names (added once, whatever the case). */
function withVary(existing: unknown, name: string): string {
  const names =
    typeof existing === 'string'
      ? existing
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)
      : [];
  return names.some((n) => n.toLowerCase() === name.toLowerCase())
    ? names.join(', ')
    : [...names, name].join(', ');
}

/**
 * Security, cache, CORS and request-id headers on every response, errors included, the design's
 * exact values over whatever the route set.
 */
export function responseHeaders(options: ResponseHeadersOptions): middy.MiddlewareObj<ApiEvent, ApiResult>[] {
  const own = (request: middy.Request<ApiEvent, ApiResult>): void => {
    const response = request.response;
    if (!response) return;
    const headers: Record<string, string | number | boolean> = {
      // Spreading none (undefined) adds nothing.
      ...response.headers,
      ...API_HEADERS,
    };
    headers['Cache-Control'] = options.cacheControl;
    const requestId = request.event.parley?.requestId;
    if (requestId) headers['X-Request-Id'] = requestId;
    const origin = requestHeader(request.event.headers, 'origin');
    if (origin && origin === options.webOrigin) {
      headers['Access-Control-Allow-Origin'] = origin;
      headers['Access-Control-Expose-Headers'] = 'X-Request-Id, Retry-After';
    }
    // The route's own Vary (e.g. Accept-Encoding) stays, with Origin added.
    headers.Vary = withVary(response.headers?.Vary, 'Origin');
    // Nothing names the software behind the API.
    delete headers.Server;
    delete headers['X-Powered-By'];
    response.headers = headers;
  };
  return [{ name: 'api-headers', after: own, onError: own }];
}
