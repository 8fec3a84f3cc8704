import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Caller } from '../domain/caller';
import type { RouteDeclaration } from './route';

/** Who is calling, from a verified Cognito access token: the domain's caller plus token facts. */
export interface AuthContext extends Caller {
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  readonly clientId: string;
}

/** What the middleware stack adds to the API Gateway event for the handler. */
export interface RequestState {
  readonly requestId: string;
  readonly route: RouteDeclaration;
  auth?: AuthContext;
  body?: unknown;
  query?: unknown;
  params?: unknown;
  /** The route's declared headers that came, parsed, by lower-case name. */
  headers?: Readonly<Record<string, unknown>>;
}

export type ApiEvent = APIGatewayProxyEvent & { parley: RequestState };
export type ApiResult = APIGatewayProxyResult;
