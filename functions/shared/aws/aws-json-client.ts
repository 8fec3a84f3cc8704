import { serviceEndpoint } from './endpoint';
import { fromLambdaEnvironment } from './lambda-credentials';
import { nodeFetch, type Fetch } from './node-fetch';
import { type AwsCredentials } from './sigv4';
import { errorAnswer, signedJsonPost } from './signed-json-post';
import { createRetryQuota, withRetries, type RetryMetadata } from './standard-retry';

/**
 * A client of the AWS APIs on the awsJson1.1 protocol that the Lambda functions call (Cognito
 * user pools' admin operations, Secrets Manager's GetSecretValue), on `node:https` (node-fetch.ts): what they
 * use instead of the SDK's clients, whose middleware stacks were most of the admin and chat
 * bundles. A call is `POST /` with the operation in X-Amz-Target and its input as the JSON body,
 * signed with SigV4, as the SDK sends it; errors are named after the service's exception type
 * (as the SDK's are), and the call is retried as the SDK's standard mode does (3 attempts,
 * backoff with jitter, on throttling, 5xx and network errors).
 */

export type AwsJsonService = 'cognito-idp' | 'secretsmanager';

const TARGET_PREFIXES = {
  'cognito-idp': 'AWSCognitoIdentityProviderService',
  secretsmanager: 'secretsmanager',
} as const satisfies Record<AwsJsonService, string>;

/** The SDK's per-service endpoint variables (AWS_ENDPOINT_URL_<SERVICE ID>). */
const ENDPOINT_VARIABLES: Record<AwsJsonService, string> = {
  'cognito-idp': 'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

export interface AwsJsonClientOptions<S extends AwsJsonService = AwsJsonService> {
  /** The signing name and endpoint prefix. */
  readonly service: S;
  /** X-Amz-Target's prefix: `<targetPrefix>.<Operation>`. */
  readonly targetPrefix: (typeof TARGET_PREFIXES)[S];
  readonly region: string;
  /**
   * The service's URL (the local Cognito, for one). @default AWS_ENDPOINT_URL_<SERVICE>, else
   * AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), else https://<service>.<region>.amazonaws.com/
   */
  readonly endpoint?: string | undefined;
  /** @default the credentials Lambda puts in the environment, read on each request */
  readonly credentials?: () => AwsCredentials;
  /** Attempts for throttling, 5xx and network errors, the first included. @default 3 (the SDK's) */
  readonly maxAttempts?: number;
  /** One attempt's time limit, connection included. @default 10_000 */
  readonly timeoutMs?: number;
  /** For tests. @default nodeFetch (node-fetch.ts: node:https, not undici) */
  readonly fetch?: Fetch;
  /** For tests. @default Math.random */
  readonly random?: () => number;
}

export interface AwsJsonCallOptions {
  /** Ends the call (the attempt under way, and any retry) when it fires. */
  readonly signal?: AbortSignal;
  /**
   * Of the errors the standard mode retries, retries only those this accepts. For a call that is
   * not idempotent (a create): retry only what the service certainly did not carry out.
   */
  readonly retryOnly?: (error: unknown) => boolean;
}

export interface AwsJsonClient {
  readonly service: AwsJsonService;
  /** The URL calls go to. */
  readonly endpoint: string;
  /** Sends `operation` (e.g. 'AdminGetUser') with `input`; resolves to the service's JSON answer. */
  call<I extends object, O = Record<string, unknown>>(
    operation: string,
    input: I,
    options?: AwsJsonCallOptions,
  ): Promise<O & { $metadata: RetryMetadata }>;
}

/** An error answer of the service: `name` is its exception type, e.g. 'UserNotFoundException'. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  $metadata: RetryMetadata;

  constructor(name: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$fault = status < 500 ? 'client' : 'server';
    this.$metadata = { httpStatusCode: status, requestId };
  }
}

/** The request never got an answer: connection refused or cut, DNS failure, timeout. */
export class AwsNetworkError extends Error {
  /** A socket error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT, …). */
  readonly code: string;
  readonly $fault = 'client';
  $metadata: RetryMetadata = {};

  constructor(message: string, code: string, cause: unknown, name = 'Error') {
    super(message, { cause });
    this.name = name;
    this.code = code;
  }
}

export function defaultAwsJsonEndpoint(
  service: AwsJsonService,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return serviceEndpoint(service, ENDPOINT_VARIABLES[service], region, env, '/');
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export function awsJsonClient<S extends AwsJsonService>(options: AwsJsonClientOptions<S>): AwsJsonClient {
  const { service, region } = options;
  if (TARGET_PREFIXES[service] !== options.targetPrefix)
    throw new Error(`${service}'s target prefix is ${TARGET_PREFIXES[service]}, not ${options.targetPrefix}`);
  const url = new URL('/', options.endpoint || defaultAwsJsonEndpoint(service, region));
  const credentials = options.credentials ?? (() => fromLambdaEnvironment(process.env));
  const maxAttempts = options.maxAttempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const doFetch = options.fetch ?? nodeFetch;
  const quota = createRetryQuota();

  async function attempt(
    operation: string,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; data: Record<string, unknown>; requestId?: string }> {
    const answer = await signedJsonPost(
      {
        url,
        headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': `${options.targetPrefix}.${operation}` },
        body,
        credentials: credentials(),
        region,
        service,
        timeoutMs,
        ...(signal ? { signal } : {}),
        fetch: doFetch,
      },
      { subject: service, create: (...args) => new AwsNetworkError(...args) },
    );
    const { status, requestId } = answer;
    if (status >= 300) {
      const { type, message } = errorAnswer(answer);
      throw new AwsServiceError(type, message, status, requestId);
    }
    if (!answer.object)
      throw new AwsServiceError(
        'DeserializationError',
        `${service} answered ${status} with a body that is not a JSON object`,
        status,
        requestId,
      );
    return { status, data: answer.object, requestId };
  }

  return {
    service,
    endpoint: url.href,
    async call<I extends object, O>(operation: string, input: I, callOptions: AwsJsonCallOptions = {}) {
      // Operation names are the service's identifiers: anything else would change the target header.
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(operation)) throw new Error(`Not an operation name: ${operation}`);
      const body = JSON.stringify(input);
      const { retryOnly, signal } = callOptions;
      const { value, attempts, totalRetryDelay } = await withRetries(() => attempt(operation, body, signal), {
        quota,
        maxAttempts,
        random,
        ...(signal ? { signal } : {}),
        ...(retryOnly ? { extraRetry: (error: unknown) => (retryOnly(error) ? undefined : null) } : {}),
      });
      const $metadata: RetryMetadata = {
        httpStatusCode: value.status,
        requestId: value.requestId,
        attempts,
        totalRetryDelay,
      };
      return { ...(value.data as O), $metadata };
    },
  };
}
