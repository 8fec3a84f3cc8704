import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { routes, type RouteDeclaration as RouteDefinition } from '#api/index';

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

/** The REST proxy event Lambda would receive from API Gateway for this request. */
export function toProxyEvent({ req, url, body, matched, claims, stage }: EventInput): APIGatewayProxyEvent {
  const headerValues = Object.entries(req.headers)
    .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
    .map(([name, value]) => [name, Array.isArray(value) ? value : [value]] as const);
  const headers: Record<string, string> = Object.fromEntries(
    headerValues.map(([name, all]) => [name, all.join(',')]),
  );
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(headerValues);
  // Maps, then own properties: a parameter named `__proto__` or `constructor` must arrive as data,
  // as it does on AWS (the runtime JSON-parses the event), never touch a prototype.
  const values = new Map<string, string[]>();
  for (const [name, value] of url.searchParams) values.set(name, [...(values.get(name) ?? []), value]);
  // Each list holds at least the value that created it; the last one wins, as on AWS.
  const query: Record<string, string> = Object.fromEntries(
    [...values].map(([name, all]) => [name, all[all.length - 1] as string]),
  );
  const multiQuery: Record<string, string[]> = Object.fromEntries(values);
  const isText = body.length === 0 || /json|text|xml|form/.test(headers['content-type'] ?? '');
  const requestId = randomUUID();
  const now = new Date();
  return {
    resource: matched.route.path,
    path: url.pathname,
    httpMethod: matched.route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
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
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: matched.route.path,
    },
  };
}

/** A Lambda context good enough for Powertools and Middy. */
export function lambdaContext(functionName: string, requestId: string, timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

/** Reads a request body up to a limit; `undefined` when it is larger (API Gateway's is 10 MB). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
