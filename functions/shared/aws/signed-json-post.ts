import type { Fetch, FetchHeaders, FetchResponse } from './node-fetch';
import { signRequest, type AwsCredentials } from './sigv4';
import { errorTypeOf, fetchFailure, stringOrNumber } from './standard-retry';

/**
 * One attempt of a signed JSON call, as both of our AWS clients make it (the Data API's
 * REST-JSON and the awsJson1.1 of Cognito and Secrets Manager): sign with SigV4, POST with a
 * timeout, read the whole answer. Retries, and which errors each service throws, stay with the
 * clients.
 */
export interface SignedJsonPost {
  readonly url: URL;
  /** Headers besides the signature's (content type, target). */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** The signing name, e.g. 'rds-data' or 'cognito-idp'. */
  readonly service: string;
  readonly timeoutMs: number;
  /** The caller's own signal; it aborts the attempt besides the timeout. */
  readonly signal?: AbortSignal;
  readonly fetch: Fetch;
}

export interface SignedJsonAnswer {
  readonly status: number;
  readonly headers: FetchHeaders;
  readonly text: string;
  readonly requestId: string | undefined;
  /** The body when it is a JSON object (an empty body reads as {}); undefined otherwise. */
  readonly object: Record<string, unknown> | undefined;
}

/** How a client names a request that got no answer (its class, and what it called). */
export interface NetworkErrors {
  /** What the messages name, e.g. 'Data API' or 'cognito-idp'. */
  readonly subject: string;
  readonly create: (message: string, code: string, cause: unknown, name?: string) => Error;
}

export async function signedJsonPost(
  request: SignedJsonPost,
  networkErrors: NetworkErrors,
): Promise<SignedJsonAnswer> {
  const { url, body, timeoutMs, signal } = request;
  const headers = signRequest({
    method: 'POST',
    url,
    headers: request.headers,
    body,
    credentials: request.credentials,
    region: request.region,
    service: request.service,
  });
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: FetchResponse;
  let text: string;
  try {
    response = await request.fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    text = await response.text();
  } catch (error) {
    // The caller gave up: its reason, not a network error to retry.
    if (signal?.aborted) throw signal.reason;
    const failure = fetchFailure(error);
    const { subject, create } = networkErrors;
    throw failure.timedOut
      ? create(`${subject} did not answer within ${timeoutMs} ms`, 'ETIMEDOUT', error, 'TimeoutError')
      : create(`${subject} request failed: ${failure.detail}`, failure.code, error);
  }
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    requestId: response.headers.get('x-amzn-requestid') ?? undefined,
    object:
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined,
  };
}

/**
 * The exception type and message of an error answer, as the SDK reads them: the type from the
 * header or body (errorTypeOf), the message from `message` or `Message`. A body that is not a
 * JSON object (a gateway's page) is quoted, with the status.
 */
export function errorAnswer(answer: SignedJsonAnswer): { type: string; message: string } {
  const body = answer.object;
  const message =
    stringOrNumber(body?.message) ??
    stringOrNumber(body?.Message) ??
    // No object: the body was not JSON, so it is not empty (an empty body reads as {}).
    (body ? 'UnknownError' : `HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
  return { type: errorTypeOf(answer.headers, body) ?? 'UnknownError', message };
}
