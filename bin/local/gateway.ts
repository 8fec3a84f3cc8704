import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { routes, type RouteDeclaration as RouteDefinition } from '#api/index';
import { setOwn } from '#shared/own-property';

/**
 * What API Gateway does in front of Lambda, done locally: match the resource template, turn the
 * HTTP request into the REST proxy (v1) event, and write the function's result back.
 */
export interface MatchedRoute {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string> | null;
}

const compiled = routes.map((route) => {
  const names: string[] = [];
  const pattern = route.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
  return { route, names, regex: new RegExp(`^${pattern}/?$`) };
});

/** A malformed %-encoding stays as sent, for validation to refuse (a 4xx, never a crash). */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The route for a method and path; `methodNotAllowed` when the path exists with other methods. */
export function matchRoute(method: string, path: string): MatchedRoute | 'methodNotAllowed' | undefined {
  let pathExists = false;
  for (const { route, names, regex } of compiled) {
    const match = regex.exec(path);
    if (!match) continue;
    pathExists = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    // One capture group per name, and a group of a match always holds at least one character.
    names.forEach((name, i) => {
      params[name] = safeDecode(match[i + 1] as string);
    });
    return { route, pathParameters: names.length > 0 ? params : null };
  }
  return pathExists ? 'methodNotAllowed' : undefined;
}

export interface EventInput {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly body: Buffer;
  readonly matched: MatchedRoute;
  readonly claims?: Record<string, unknown>;
  readonly stage: string;
}

/**
 * The REST proxy event Lambda would receive from API Gateway for this request. Built with plain
 * loops: it runs for every request of the local server, where the array copies of
 * entries/filter/map cost more than the rest of the event.
 */
export function toProxyEvent({ req, url, body, matched, claims, stage }: EventInput): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const incoming = req.headers;
  for (const name in incoming) {
    if (!Object.hasOwn(incoming, name)) continue;
    const value = incoming[name];
    if (value === undefined) continue;
    if (typeof value === 'string') {
      setOwn(headers, name, value);
      setOwn(multiValueHeaders, name, [value]);
    } else {
      setOwn(headers, name, value.join(','));
      setOwn(multiValueHeaders, name, value);
    }
  }
  // Each list holds at least the value that created it; the last one wins, as on AWS.
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  if (url.search.length > 1) {
    query = {};
    multiQuery = {};
    for (const [name, value] of url.searchParams) {
      const all = Object.hasOwn(multiQuery, name) ? multiQuery[name] : undefined;
      if (all) all.push(value);
      else setOwn(multiQuery, name, [value]);
      setOwn(query, name, value);
    }
  }
  const contentType = headers['content-type'];
  const isText = body.length === 0 || (contentType !== undefined && TEXTUAL.test(contentType));
  const requestId = randomUUID();
  return {
    resource: matched.route.path,
    path: url.pathname,
    httpMethod: matched.route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: matched.pathParameters,
    stageVariables: null,
    body: body.length === 0 ? null : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: claims ? { claims } : null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: matched.route.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: matched.route.path,
    },
  };
}

/** Content types whose body API Gateway passes as text; any other non-empty body is base64. */
const TEXTUAL = /json|text|xml|form/;

const ignore = (): void => {};

/** A countdown to `deadline` (ms since the epoch), never below 0. */
function countdown(deadline: number): () => number {
  return () => Math.max(0, deadline - Date.now());
}

/**
 * A Lambda context good enough for Powertools and Middy. Its methods are own properties (Middy
 * and Powertools copy the context with a spread, which would drop methods of a prototype), and
 * shared ones except the countdown to this request's deadline.
 */
export function lambdaContext(functionName: string, requestId: string, timeoutMs = 29_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: countdown(Date.now() + timeoutMs),
    done: ignore,
    fail: ignore,
    succeed: ignore,
  };
}

const isContentLength = (name: string) => name.length === 14 && name.toLowerCase() === 'content-length';

/** Status codes whose answers carry no body, and so no Content-Length (RFC 9110 §8.6). */
const bodiless = (status: number) => status < 200 || status === 204 || status === 304;

const allText = (values: readonly unknown[]): string[] => values.map(String);

/** Copies a result's headers into `into` as text; whether one of them was Content-Length. */
function copyHeaders<V>(
  into: Record<string, string | string[]>,
  from: Readonly<Record<string, V>> | undefined,
  text: (value: V) => string | string[],
): boolean {
  let length = false;
  if (from)
    for (const name in from) {
      if (!Object.hasOwn(from, name)) continue;
      length ||= isContentLength(name);
      setOwn(into, name, text(from[name] as V));
    }
  return length;
}

/**
 * Writes the function's result as API Gateway would: every header as text, the body decoded from
 * base64 when the function says so, and its length in Content-Length (API Gateway sends an answer
 * it holds whole with its length, never in chunks).
 */
export function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  // The multi-value ones second: a name in both takes its list.
  const singleLength = copyHeaders(headers, result.headers, String);
  const multiLength = copyHeaders(headers, result.multiValueHeaders, allText);
  const length = singleLength || multiLength;
  // Text goes out as the string it is (Node encodes it straight into the socket write).
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : (result.body ?? '');
  if (!length && !bodiless(result.statusCode))
    headers['Content-Length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

/** Lambda's limit on a buffered (synchronous) answer: the whole result, as JSON. */
export const LAMBDA_BUFFERED_RESPONSE_MAX = 6 * 1024 * 1024;

/**
 * Whether Lambda would refuse this result as too large, failing the invocation (API Gateway then
 * answers 502). JSON escapes a UTF-16 unit into at most 6 bytes, so a body that short cannot
 * pass the limit and is not measured: the local server pays nothing for ordinary answers.
 */
export function overLambdaResponseLimit(result: APIGatewayProxyResult): boolean {
  const body = result.body ?? '';
  if (body.length * 6 + 64 * 1024 < LAMBDA_BUFFERED_RESPONSE_MAX) return false;
  return Buffer.byteLength(JSON.stringify(result)) > LAMBDA_BUFFERED_RESPONSE_MAX;
}

const NO_BODY = Buffer.alloc(0);

/**
 * Reads a request body up to a limit; `undefined` when it is larger (API Gateway's is 10 MB). A
 * request that announces no body (neither Transfer-Encoding nor a Content-Length above 0) has
 * none (RFC 9112 §6.3), so its stream is not read: Node drains it once the answer is sent.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0'))
    return NO_BODY;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
