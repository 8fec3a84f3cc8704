import type { IncomingMessage, ServerResponse } from 'node:http';

import { signatureRefusal, startLoopbackApi, type Sigv4Rules } from './sigv4-verifier';

/**
 * For tests: a loopback HTTP server that plays the RDS Data API at the wire level, as AWS does:
 * REST-JSON (`POST /Execute` is ExecuteStatement, `/BeginTransaction`, `/CommitTransaction`,
 * `/RollbackTransaction`), requests refused unless signed (SigV4, checked with the AWS SDK's own
 * signer, @smithy/signature-v4, for the keys given), errors as the service sends them (the type
 * in the x-amzn-ErrorType header, `{"message": …}` in the body), blobs as base64. Both our client
 * and the SDK's RDSData can talk to it.
 */

export type DataApiOperation =
  'ExecuteStatement' | 'BeginTransaction' | 'CommitTransaction' | 'RollbackTransaction';

const OPERATIONS: Readonly<Record<string, DataApiOperation>> = {
  '/Execute': 'ExecuteStatement',
  '/BeginTransaction': 'BeginTransaction',
  '/CommitTransaction': 'CommitTransaction',
  '/RollbackTransaction': 'RollbackTransaction',
};

export interface DataApiTestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A Data API database configuration for tests that point the client at this server. */
export const TEST_DATA_API_CONFIG = {
  DB_DRIVER: 'data-api',
  DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db-AbCdEf',
  DB_NAME: 'parley',
  AWS_REGION: 'eu-west-1',
} as const;

/** Keys for tests (obviously fake). */
export const TEST_CREDENTIALS: DataApiTestCredentials = {
  accessKeyId: 'test-access-key',
  secretAccessKey: 'test-secret-key',
  sessionToken: 'test-session-token',
};

export interface DataApiCall {
  readonly operation: DataApiOperation;
  /** e.g. '/Execute' */
  readonly path: string;
  /** The request's JSON body, parsed (blobs still base64 strings). */
  readonly body: Record<string, unknown>;
  /** The request's headers (lower-case names), e.g. the SigV4 `authorization`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type DataApiAnswer =
  | {
      readonly status: number;
      /** The x-amzn-ErrorType header, e.g. 'DatabaseResumingException'. */
      readonly errorType?: string;
      /** Sent as JSON; Uint8Array values become base64 and `$metadata` is left out, as on the wire. */
      readonly body?: unknown;
      /** Sent as it is instead of `body`. */
      readonly rawBody?: string;
      /** Leaves out the x-amzn-RequestId header (as a proxy or load balancer answering for AWS does). */
      readonly withoutRequestId?: boolean;
    }
  /** The connection is cut without an answer. */
  | 'cut';

export interface DataApiTestServerOptions {
  /** Answers the signed, well-formed call with that index (0 is the first). */
  readonly answer: (index: number, call: DataApiCall) => DataApiAnswer | Promise<DataApiAnswer>;
  /** The keys requests must be signed with. @default TEST_CREDENTIALS */
  readonly credentials?: DataApiTestCredentials;
  /** @default 'eu-west-1' */
  readonly region?: string;
}

export interface DataApiTestServer {
  /** The endpoint, e.g. for `createDataApiClient({ endpoint })` or AWS_ENDPOINT_URL_RDS_DATA. */
  readonly url: string;
  /** Every signed, well-formed call that reached the server, in order. */
  readonly calls: readonly DataApiCall[];
  /** Requests refused before `answer` (bad signature, unknown path, bad JSON), with the reason. */
  readonly refused: readonly { readonly path: string; readonly errorType: string }[];
  close(): Promise<void>;
}

/** What Aurora answers while it resumes from zero capacity. */
export const resumingAnswer: DataApiAnswer = {
  status: 400,
  errorType: 'DatabaseResumingException',
  body: { message: 'The database is resuming. Please try again later.' },
};

/** An ExecuteStatement result (with `includeResultMetadata`) of one row `{ one: 1 }`. */
export const selectOneAnswer: DataApiAnswer = {
  status: 200,
  body: {
    columnMetadata: [{ name: 'one', label: 'one', typeName: 'int4' }],
    records: [[{ longValue: 1 }]],
    numberOfRecordsUpdated: 0,
  },
};

/** An error answer as the service sends it. */
export const errorAnswer = (status: number, errorType: string, message?: string): DataApiAnswer => ({
  status,
  errorType,
  body: message === undefined ? {} : { message },
});

/** JSON as the service writes it: blobs in base64, no SDK `$metadata`. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    if (key === '$metadata') return undefined;
    return v;
  });
}

/** How the Data API refuses a signature: 403s, and its own type for a body hash mismatch. */
const SIGV4_RULES: Sigv4Rules = {
  authorization:
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/,
  status: 403,
  missing: {
    status: 403,
    errorType: 'IncompleteSignatureException',
    message: 'Malformed Authorization header',
  },
  dateMessage: 'x-amz-date is missing or does not match the credential scope',
  hashMismatch: {
    status: 400,
    errorType: 'XAmzContentSHA256Mismatch',
    message: 'The provided x-amz-content-sha256 does not match the body',
  },
  mustSign: ['host', 'x-amz-date'],
};

/** Starts the server on 127.0.0.1 at a free port. */
export async function startDataApiTestServer(options: DataApiTestServerOptions): Promise<DataApiTestServer> {
  const credentials = options.credentials ?? TEST_CREDENTIALS;
  const region = options.region ?? 'eu-west-1';
  const calls: DataApiCall[] = [];
  const refused: { path: string; errorType: string }[] = [];

  const send = (
    res: ServerResponse,
    status: number,
    errorType: string | undefined,
    text: string,
    withoutRequestId = false,
  ) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(withoutRequestId ? {} : { 'x-amzn-RequestId': `req-${calls.length + refused.length - 1}` }),
      ...(errorType
        ? { 'x-amzn-ErrorType': `${errorType}:http://internal.amazon.com/coral/com.amazon.rdsdataservice/` }
        : {}),
    });
    res.end(text);
  };
  const refuse = (res: ServerResponse, path: string, status: number, errorType: string, message: string) => {
    refused.push({ path, errorType });
    send(res, status, errorType, JSON.stringify({ message }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = req.url ?? '';
    const problem = await signatureRefusal(req, body, credentials, region, 'rds-data', SIGV4_RULES);
    if (problem) return refuse(res, path, problem.status, problem.errorType, problem.message);
    const operation = req.method === 'POST' ? OPERATIONS[path] : undefined;
    if (!operation)
      return refuse(res, path, 404, 'UnknownOperationException', `No operation at ${req.method} ${path}`);
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return refuse(res, path, 415, 'UnsupportedMediaTypeException', 'Content-Type must be application/json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return refuse(res, path, 400, 'SerializationException', 'The request body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return refuse(res, path, 400, 'SerializationException', 'The request body is not a JSON object');
    const call: DataApiCall = {
      operation,
      path,
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
      answer.errorType,
      answer.rawBody ?? toWireJson(answer.body ?? {}),
      answer.withoutRequestId,
    );
  };

  const api = await startLoopbackApi(handle, (res, error) =>
    send(res, 500, 'InternalServerErrorException', JSON.stringify({ message: String(error) })),
  );
  return {
    url: api.url,
    calls,
    refused,
    close: () => api.close(),
  };
}
