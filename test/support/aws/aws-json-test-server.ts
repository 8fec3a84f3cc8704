import type { IncomingMessage, ServerResponse } from 'node:http';

import { TEST_CREDENTIALS, type DataApiTestCredentials } from './data-api-test-server';
import { signatureRefusal, startLoopbackApi, type Refusal, type Sigv4Rules } from './sigv4-verifier';

/**
 * For tests: a loopback HTTP server that plays an awsJson1.1 AWS API (Cognito user pools,
 * Secrets Manager) at the wire level, as AWS does: `POST /` with the operation in X-Amz-Target
 * (`<prefix>.<Operation>`) and a JSON body, `Content-Type: application/x-amz-json-1.1`; requests
 * refused unless signed (SigV4, checked with the AWS SDK's own signer, @smithy/signature-v4, for
 * the keys given); errors as the service sends them (`{"__type": …, "message": …}`). Both our
 * client and the SDK's clients can talk to it, so tests can compare what they send.
 */

export { TEST_CREDENTIALS };

export interface AwsJsonCall {
  /** e.g. 'AWSCognitoIdentityProviderService.AdminGetUser' */
  readonly target: string;
  /** e.g. 'AdminGetUser' */
  readonly operation: string;
  /** The request's JSON body, parsed. */
  readonly body: Record<string, unknown>;
  /** The request's headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type AwsJsonAnswer =
  | {
      readonly status: number;
      /** Sent as JSON. */
      readonly body?: unknown;
      /** The x-amzn-ErrorType header, for services that send it besides `__type`. */
      readonly errorTypeHeader?: string;
      /** Sent as it is instead of `body` (a truncated or non-JSON answer). */
      readonly rawBody?: string;
      /** Leaves out the x-amzn-RequestId header (as a proxy or load balancer answering for AWS does). */
      readonly withoutRequestId?: boolean;
    }
  /** The connection is cut without an answer. */
  | 'cut';

export interface AwsJsonTestServerOptions {
  /** The signing name the signature must be scoped to, e.g. 'cognito-idp'. */
  readonly service: string;
  /** The X-Amz-Target prefix the server accepts, e.g. 'AWSCognitoIdentityProviderService'. */
  readonly targetPrefix: string;
  /** Answers the signed, well-formed call with that index (0 is the first). */
  readonly answer: (index: number, call: AwsJsonCall) => AwsJsonAnswer | Promise<AwsJsonAnswer>;
  /** The keys requests must be signed with. @default TEST_CREDENTIALS */
  readonly credentials?: DataApiTestCredentials;
  /** @default 'eu-west-1' */
  readonly region?: string;
}

export interface AwsJsonTestServer {
  readonly url: string;
  /** Every signed, well-formed call that reached the server, in order. */
  readonly calls: readonly AwsJsonCall[];
  /** Requests refused before `answer` (bad signature, unknown target, bad JSON), with the reason. */
  readonly refused: readonly { readonly target: string; readonly errorType: string }[];
  close(): Promise<void>;
}

/** An error answer as awsJson1.1 services send it (`__type` in the body). */
export const awsJsonError = (status: number, type: string, message = type): AwsJsonAnswer => ({
  status,
  body: { __type: type, message },
});

/** How awsJson1.1 APIs refuse a signature: 400s; the target must be signed too. */
const SIGV4_RULES: Sigv4Rules = {
  authorization:
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/,
  status: 400,
  missing: {
    status: 400,
    errorType: 'MissingAuthenticationTokenException',
    message: 'Missing Authentication Token',
  },
  dateMessage: 'x-amz-date is missing or wrong',
  hashMismatch: {
    status: 400,
    errorType: 'InvalidSignatureException',
    message: 'x-amz-content-sha256 does not match',
  },
  // The target is part of what is signed: an unsigned one could be swapped for another operation.
  mustSign: ['host', 'x-amz-date', 'x-amz-target'],
};

/** Starts the server on 127.0.0.1 at a free port. */
export async function startAwsJsonTestServer(options: AwsJsonTestServerOptions): Promise<AwsJsonTestServer> {
  const credentials = options.credentials ?? TEST_CREDENTIALS;
  const region = options.region ?? 'eu-west-1';
  const calls: AwsJsonCall[] = [];
  const refused: { target: string; errorType: string }[] = [];
  let requests = 0;

  const send = (
    res: ServerResponse,
    status: number,
    text: string,
    errorTypeHeader?: string,
    withoutRequestId = false,
  ) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      ...(withoutRequestId ? {} : { 'x-amzn-RequestId': `req-${requests}` }),
      ...(errorTypeHeader ? { 'x-amzn-ErrorType': errorTypeHeader } : {}),
    });
    res.end(text);
  };
  const refuse = (res: ServerResponse, target: string, problem: Refusal) => {
    refused.push({ target, errorType: problem.errorType });
    send(res, problem.status, JSON.stringify({ __type: problem.errorType, message: problem.message }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    requests += 1;
    const rawTarget = req.headers['x-amz-target'];
    const target = typeof rawTarget === 'string' ? rawTarget : '';
    const problem = await signatureRefusal(req, body, credentials, region, options.service, SIGV4_RULES);
    if (problem) return refuse(res, target, problem);
    const [prefix, operation, ...rest] = target.split('.');
    if (
      req.method !== 'POST' ||
      req.url !== '/' ||
      prefix !== options.targetPrefix ||
      !operation ||
      rest.length
    )
      return refuse(res, target, {
        status: 400,
        errorType: 'UnknownOperationException',
        message: `No operation ${target}`,
      });
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1')
      return refuse(res, target, {
        status: 400,
        errorType: 'SerializationException',
        message: 'Content-Type must be application/x-amz-json-1.1',
      });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return refuse(res, target, { status: 400, errorType: 'SerializationException', message: 'Not JSON' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return refuse(res, target, {
        status: 400,
        errorType: 'SerializationException',
        message: 'Not a JSON object',
      });
    const call: AwsJsonCall = {
      target,
      operation,
      body: parsed as Record<string, unknown>,
      headers: req.headers,
    };
    calls.push(call);
    const answer = await options.answer(calls.length - 1, call);
    if (answer === 'cut') {
      req.socket.destroy();
      return;
    }
    send(
      res,
      answer.status,
      answer.rawBody ?? (answer.body === undefined ? '{}' : JSON.stringify(answer.body)),
      answer.errorTypeHeader,
      answer.withoutRequestId,
    );
  };

  const api = await startLoopbackApi(handle, (res, error) =>
    send(res, 500, JSON.stringify({ __type: 'InternalErrorException', message: String(error) })),
  );
  return {
    url: api.url,
    calls,
    refused,
    close: () => api.close(),
  };
}

/**
 * A loopback Cognito for an adapter that takes its keys from the environment, as a Lambda
 * function does: the server, with the environment's keys set to the ones it accepts (undo with
 * `vi.unstubAllEnvs()`).
 */
export async function startCognitoForEnvironmentKeys(
  answer: (index: number) => AwsJsonAnswer | Promise<AwsJsonAnswer>,
  stubEnv: (name: string, value: string | undefined) => unknown,
): Promise<AwsJsonTestServer> {
  const server = await startAwsJsonTestServer({
    service: 'cognito-idp',
    targetPrefix: 'AWSCognitoIdentityProviderService',
    answer,
  });
  stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
  stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
  stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
  return server;
}
