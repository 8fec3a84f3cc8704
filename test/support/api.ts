import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { inject } from 'vitest';
import { overLambdaResponseLimit } from '../../bin/local/gateway';
import { resetConfig } from '../../functions/shared/config';
import type { Role } from '../../functions/shared/domain/roles';
import type { HandlerDependencies } from '../../functions/shared/http/api-handler';
import { createTokenVerifier } from '../../functions/shared/http/auth';
import type { ApiEvent } from '../../functions/shared/http/types';
import { proxyEvent, trustIssuer, type CallInput } from './api-event';
import { expectConformance } from './openapi-conformance';
import { lambdaContext } from './lambda-context';
import { createTestIssuer, type TestIssuer } from './tokens';

export { proxyEvent, type CallInput };

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
    // The suites act as a few people making many requests a minute; the route budgets' own tests
    // set it back to 1 (route-budgets.ts).
    ROUTE_BUDGET_MULTIPLIER: '1000',
    ...overrides,
  });
  resetConfig();
  trustIssuer(issuer);
  return issuer;
}

/** A machine client of the test issuer's pool, and the handler dependencies that let it in. */
export interface MachineClient {
  readonly clientId: string;
  /** A client-credentials token: no username, its subject is the client. */
  token(scope: string): string;
  /** A verifier that trusts the issuer's user client and this one; this client's stored role. */
  readonly dependencies: Pick<HandlerDependencies, 'verifier' | 'serviceRoles'>;
}

/**
 * A second app client of `issuer`'s pool whose service account has the stored role `role`, as an
 * admin gives one; roles come from memory, not the database. Pass `dependencies` to
 * setHandlerDependencies.
 */
export function machineClient(issuer: TestIssuer, role: Role = 'members'): MachineClient {
  const clientId = `machine${randomUUID().slice(0, 8)}`;
  const verifier = createTokenVerifier(
    {
      COGNITO_USER_POOL_ID: issuer.userPoolId,
      COGNITO_CLIENT_IDS: [issuer.clientId, clientId],
      COGNITO_ENDPOINT: 'http://127.0.0.1:1',
    } as Parameters<typeof createTokenVerifier>[0],
    async () => issuer.jwks,
  );
  const serviceRoles = { roleOf: async (id: string) => (id === clientId ? role : null) };
  return {
    clientId,
    token: (scope) => issuer.accessToken({ sub: clientId, client_id: clientId, username: undefined, scope }),
    dependencies: { verifier: () => verifier, serviceRoles: () => serviceRoles },
  };
}

export interface CallResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly raw: APIGatewayProxyResult;
}

type Handler = (event: ApiEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface CallOptions {
  /**
   * Check the answer against the OpenAPI document (test/support/openapi-conformance.ts).
   * @default true; false only for stand-in routes on real paths, whose answers are not the API's
   */
  readonly conformance?: boolean;
}

/**
 * Calls a handler with the REST proxy event API Gateway would send for this request, and fails
 * when the answer is outside the OpenAPI document.
 */
export async function call(
  handler: Handler,
  input: CallInput,
  options: CallOptions = {},
): Promise<CallResult> {
  const event = proxyEvent(input);
  const requestId = event.requestContext.requestId;
  const answered = await handler(event, lambdaContext({ awsRequestId: requestId }));
  // As Lambda and API Gateway: a buffered answer over 6 MB fails, and the client gets a 502.
  const raw = overLambdaResponseLimit(answered) ? { ...answered, statusCode: 502 } : answered;
  const responseHeaders = Object.fromEntries(
    Object.entries(raw.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  // What API Gateway answers itself (the 502 of an oversized answer) is not the function's.
  if (raw === answered && options.conformance !== false) {
    expectConformance({
      method: event.httpMethod,
      resource: event.resource,
      status: raw.statusCode,
      headers: responseHeaders,
      text: raw.body ?? '',
    });
  }
  let parsed: unknown = raw.body;
  if (raw.body && /json/.test(responseHeaders['content-type'] ?? '')) parsed = JSON.parse(raw.body);
  return { status: raw.statusCode, headers: responseHeaders, body: parsed, raw };
}
