import { randomUUID } from 'node:crypto';
import { createTokenVerifier } from '../../functions/shared/http/auth';
import { setHandlerDependencies } from '../../functions/shared/http/api-handler';
import type { ApiEvent } from '../../functions/shared/http/types';
import { matchRoute } from '../../bin/local/gateway';
import type { TestIssuer } from './tokens';

/*
 * What the tests (test/support/api.ts) and the bench (bench/support.ts) both need to call a
 * handler as API Gateway would. No vitest import here: the bench runs outside the test runner.
 */

export interface CallInput {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
}

/** The REST proxy event API Gateway would send for this request (and its request id). */
export function proxyEvent(input: CallInput): ApiEvent {
  const matched = matchRoute(input.method, input.path);
  if (!matched || matched === 'methodNotAllowed')
    throw new Error(`No route for ${input.method} ${input.path}`);
  const headers: Record<string, string> = { ...(input.headers ?? {}) };
  if (input.token) headers.Authorization = `Bearer ${input.token}`;
  let body: string | null = null;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const requestId = randomUUID();
  return {
    resource: matched.route.path,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: matched.pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: { requestId, stage: 'test', resourcePath: matched.route.path },
  } as unknown as ApiEvent;
}

/** Points the handlers' token verifier at `issuer`'s JWKS (no Cognito needed). */
export function trustIssuer(issuer: TestIssuer): void {
  const verifier = createTokenVerifier(
    {
      COGNITO_USER_POOL_ID: issuer.userPoolId,
      COGNITO_CLIENT_IDS: [issuer.clientId],
      COGNITO_ENDPOINT: 'http://127.0.0.1:1',
    } as Parameters<typeof createTokenVerifier>[0],
    async () => issuer.jwks,
  );
  setHandlerDependencies({ verifier: () => verifier });
}
