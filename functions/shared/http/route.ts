import type { $ZodType, $ZodUndefined, output } from 'zod/v4/core';
import type { Role } from '../domain/roles';
import type { ApiEvent, ApiResult, AuthContext } from './types';

/**
 * A route is declared once, in its own file, with `defineRoute`: method, path, who may call it
 * and the zod schemas of what it takes and answers (typed against zod's core, which classic zod
 * and zod/mini share; the functions use zod/mini, see shared/zod.ts). Validation, the OpenAPI
 * document, the CDK resources and integrations, local routing and the route × role tests all read
 * these declarations (collected in functions/api/index.ts); nothing repeats them.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda function per group; its entry is `functions/<group>/lambda.ts`. */
export const HANDLER_GROUPS = ['health', 'users', 'conversations', 'chat', 'exports', 'admin'] as const;
export type HandlerGroup = (typeof HANDLER_GROUPS)[number];

/**
 * `public`: no token. `signed-in`: any valid token, even one in no group.
 * A list of roles: a valid token whose role is one of them.
 */
export type RouteAccess = 'public' | 'signed-in' | readonly Role[];

/** Resource-server scopes a machine client (client-credentials token) may hold. */
export type Scope = 'parley/chat.read' | 'parley/chat.write';

export interface RouteResponse {
  readonly description: string;
  /** @default - no body (or, with `events`, a stream of them) */
  readonly schema?: $ZodType;
  /** @default 'application/json' when there is a schema */
  readonly contentType?: string;
  /** The same status in another media type, chosen by the request's `Accept`. */
  readonly alternative?: { readonly contentType: string; readonly schema: $ZodType };
  /**
   * A `text/event-stream` answer's events, by event name: the schema of each one's `data` (JSON).
   * The OpenAPI document declares them as OpenAPI 3.2 models a stream of server-sent events.
   */
  readonly events?: Readonly<Record<string, $ZodType>>;
  /** The answer carries `Retry-After` (declared in the OpenAPI document). @default false */
  readonly retryAfter?: boolean;
}

/** Problems a route may answer besides the ones every route of its kind can (400, 401, 403…). */
export type RouteProblems = Readonly<Partial<Record<404 | 409 | 429 | 503, string>>>;

export interface RouteSpec<Id extends string, P, Q, B> {
  /** Stable name used in logs, metrics and the OpenAPI operationId: `<noun>.<verb>`. */
  readonly id: Id;
  readonly method: HttpMethod;
  /** An API Gateway resource template (`{id}`), under `/api` as CloudFront forwards it. */
  readonly path: `/api/${string}`;
  readonly summary: string;
  readonly access: RouteAccess;
  /** Machine-client scopes that may call this route. @default - no machine client may */
  readonly scopes?: readonly Scope[];
  /** Answered as a response stream (API Gateway ResponseTransferMode.STREAM). @default false */
  readonly streaming?: boolean;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /**
   * Request headers the route reads, by lower-case name, each optional: validated as params are
   * (problems at `headers.<name>`) and declared in the OpenAPI document. Others are not looked at.
   */
  readonly headers?: Readonly<Record<string, RouteHeader>>;
  /** Successful answers by status. */
  readonly responses: Readonly<Record<number, RouteResponse>>;
  readonly problems?: RouteProblems;
}

/** What every consumer of the route list reads: the declaration without its handler. */
export type RouteDeclaration<Id extends string = string> = RouteSpec<
  Id,
  $ZodType | undefined,
  $ZodType | undefined,
  $ZodType | undefined
> & { readonly group: HandlerGroup };

/** A request header a route takes: its schema, and what the OpenAPI document says of it. */
export interface RouteHeader {
  readonly schema: $ZodType;
  readonly description: string;
}

export interface RouteInput<P, Q, B> {
  readonly caller: AuthContext;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The declared headers that came, parsed (`RouteSpec.headers`). */
  readonly headers: Readonly<Record<string, unknown>>;
  readonly requestId: string;
  readonly event: ApiEvent;
}

/**
 * Writes a streamed body after the status and headers went out; resolves when the response is
 * complete. `write` never throws: a client that went away simply stops receiving. `ready`
 * resolves once the stream can take more (at once unless the client reads slower than the
 * producer writes): true, or false when the client has gone. A producer that throws cuts the
 * response, so the client sees it broken rather than complete.
 */
export type ResponseProducer = (
  write: (chunk: string | Uint8Array) => void,
  ready: () => Promise<boolean>,
) => Promise<void>;

/** A route's answer: a buffered result, or (streaming routes) its head and a body producer. */
export type RouteResult = ApiResult & { readonly stream?: ResponseProducer };

export interface Route<Id extends string, Deps> extends RouteDeclaration<Id> {
  // Method syntax on purpose: a route of any input types is a Route of its group (its input was
  // validated against its own schemas before handle runs).
  handle(input: RouteInput<unknown, unknown, unknown>, deps: Deps): Promise<RouteResult>;
}

/**
 * `defineRoute` for one handler group, whose use cases arrive as `Deps` (built on first use by
 * the group's `lambda.ts`, so declaring a route loads no database or AWS code).
 */
export function routeDefiner<Deps>(group: HandlerGroup) {
  return function defineRoute<
    const Id extends string,
    P extends $ZodType = $ZodUndefined,
    Q extends $ZodType = $ZodUndefined,
    B extends $ZodType = $ZodUndefined,
  >(
    spec: RouteSpec<Id, P, Q, B>,
    handle: (input: RouteInput<output<P>, output<Q>, output<B>>, deps: Deps) => Promise<RouteResult>,
  ): Route<Id, Deps> {
    return { ...spec, group, handle: handle as Route<Id, Deps>['handle'] };
  };
}
