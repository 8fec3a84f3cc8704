import type { APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import type { HandlerGroup } from '#api/index';
import type { ApiEvent } from '#shared/http/types';
import { apiHandler } from '../../../bin/local/handlers';
import { isStreamingHandler, LocalResponseStream } from '../../../bin/local/streaming';
import { lambdaContext } from '../../support/lambda-context';

/** A request as the hostile-input tests build it: anything may be in any part. */
export interface RawRequest {
  readonly group: HandlerGroup;
  readonly method: string;
  /** The route's resource template, as API Gateway names the matched resource. */
  readonly resource: string;
  readonly path: string;
  readonly pathParameters: Record<string, string> | null;
  readonly query: Record<string, string> | null;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

export interface RawResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** Own properties only: a key named `__proto__` stays data, as when Lambda JSON-parses the event. */
export function ownRecord(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of entries)
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return record;
}

/** Collects what a streaming handler writes, as an HTTP response would (head, then chunks). */
function capturingResponse() {
  let status = 200;
  let headers: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  const res = {
    headersSent: false,
    writeHead(code: number, head: Record<string, unknown>) {
      status = code;
      headers = head;
      this.headersSent = true;
      return this;
    },
    flushHeaders() {},
    write(chunk: Buffer | string, done?: (error?: Error | null) => void) {
      chunks.push(Buffer.from(chunk));
      done?.();
      return true;
    },
    end(done?: () => void) {
      done?.();
      return this;
    },
  };
  return {
    res: res as unknown as ServerResponse,
    result: (): RawResponse => ({
      status,
      headers: lower(headers),
      text: Buffer.concat(chunks).toString('utf8'),
    }),
  };
}

function lower(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

/** Calls the group's real Lambda handler in process with the REST proxy event for `request`. */
export async function invoke(request: RawRequest): Promise<RawResponse> {
  const requestId = randomUUID();
  const event = {
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers: request.headers,
    multiValueHeaders: {},
    queryStringParameters: request.query,
    multiValueQueryStringParameters: null,
    pathParameters: request.pathParameters,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: false,
    requestContext: { requestId, stage: 'test', resourcePath: request.resource },
  } as unknown as ApiEvent;
  const context = lambdaContext({ awsRequestId: requestId });
  const handler = await apiHandler(request.group);
  if (isStreamingHandler(handler)) {
    const { res, result } = capturingResponse();
    const stream = new LocalResponseStream(res);
    await handler(event, stream, context);
    if (!stream.writableEnded) await new Promise<void>((resolve) => stream.end(resolve));
    return result();
  }
  const raw: APIGatewayProxyResult = await handler(event, context);
  return { status: raw.statusCode, headers: lower(raw.headers), text: raw.body };
}
