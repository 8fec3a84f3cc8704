import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { resetConfig } from '../../functions/shared/config';
import { createTokenVerifier } from '../../functions/shared/http/auth';
import { setHandlerDependencies } from '../../functions/shared/http/api-handler';
import type { ApiEvent } from '../../functions/shared/http/types';
import { matchRoute } from '../../bin/local/gateway';
import { lambdaContext } from './lambda-context';
import { createTestIssuer, type TestIssuer } from './tokens';

export const WEB_ORIGIN = 'https://chat.example.test';

/**
 * Sets the environment the handlers read at cold start (the test database, a test issuer) and
 * points their token verifier at the issuer's JWKS. Call before importing a handler module.
 */
export function setUpApiEnvironment(overrides: Record<string, string> = {}): TestIssuer {
  const issuer = createTestIssuer();
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: inject('databaseUrl'),
    COGNITO_USER_POOL_ID: issuer.userPoolId,
    COGNITO_CLIENT_IDS: issuer.clientId,
    COGNITO_ENDPOINT: 'http://127.0.0.1:1',
    WEB_ORIGIN,
    MAX_BODY_BYTES: '8192',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...overrides,
  });
  resetConfig();
  setHandlerDependencies({
    verifier: () => verifier,
  });
  const verifier = createTokenVerifier(
    {
      COGNITO_USER_POOL_ID: issuer.userPoolId,
      COGNITO_CLIENT_IDS: [issuer.clientId],
      COGNITO_ENDPOINT: 'http://127.0.0.1:1',
    } as Parameters<typeof createTokenVerifier>[0],
    async () => issuer.jwks,
  );
  return issuer;
}

export interface CallInput {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly raw: APIGatewayProxyResult;
}

type Handler = (event: ApiEvent, context: Context) => Promise<APIGatewayProxyResult>;

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

/** Calls a handler with the REST proxy event API Gateway would send for this request. */
export async function call(handler: Handler, input: CallInput): Promise<CallResult> {
  const event = proxyEvent(input);
  const requestId = event.requestContext.requestId;
  const raw = await handler(event, lambdaContext({ awsRequestId: requestId }));
  const responseHeaders = Object.fromEntries(
    Object.entries(raw.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  let parsed: unknown = raw.body;
  if (raw.body && /json/.test(responseHeaders['content-type'] ?? '')) parsed = JSON.parse(raw.body);
  return { status: raw.statusCode, headers: responseHeaders, body: parsed, raw };
}
