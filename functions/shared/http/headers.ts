import type middy from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import { requestHeader } from './request-header';
import type { ApiEvent, ApiResult } from './types';

/** HSTS for two years with preload: the API is only ever reached over TLS. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

export interface ResponseHeadersOptions {
  /** The web app's origin: the only one CORS allows. */
  readonly webOrigin: string;
  /** `no-store` on authenticated routes; public ones may be cached briefly by nobody but the client. */
  readonly cacheControl: string;
}

/**
 * What Middy's security headers add to the design's: the ones that govern a response that is not
 * a document. The API answers JSON to `fetch()`: `X-Frame-Options: DENY` (the older form of
 * `frame-ancestors 'none'`, as the OWASP REST Security Cheat Sheet asks) and
 * `Cross-Origin-Resource-Policy: same-site` (no cross-site reads of an answer). The policies that
 * only govern a document's own behaviour (Permissions-Policy, Cross-Origin-Opener- and
 * -Embedder-Policy, Origin-Agent-Cluster, X-DNS-Prefetch-Control) and the legacy plug-in and IE
 * ones (X-Permitted-Cross-Domain-Policies, X-Download-Options) are off: shown as a page, an answer
 * is already held by `default-src 'none'` (no script, no subresource, so no feature to use), and
 * the web app's pages get their own from CloudFront. Middy's defaults would put about 1.3 KB of
 * them on every answer, 1 KB of it a Permissions-Policy of 44 features.
 */
const MIDDY_SECURITY_OPTIONS = {
  // The design's values for these four are in API_HEADERS.
  contentSecurityPolicy: false,
  strictTransportSecurity: false,
  referrerPolicy: false,
  contentTypeOptions: false,
  // No reporting endpoint.
  reportTo: false,
  reportingEndpoints: false,
  crossOriginResourcePolicy: { policy: 'same-site' },
  frameOptions: { action: 'deny' },
  permissionsPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginEmbedderPolicy: false,
  originAgentCluster: false,
  dnsPrefetchControl: false,
  permittedCrossDomainPolicies: false,
  downloadOptions: false,
} as const;

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
 * Security, cache, CORS and request-id headers on every response, errors included: Middy's
 * security headers first, then the design's exact values on top.
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
    response.headers = headers;
  };
  return [
    { name: 'api-headers', after: own, onError: own },
    httpSecurityHeaders(MIDDY_SECURITY_OPTIONS) as middy.MiddlewareObj<ApiEvent, ApiResult>,
  ];
}
