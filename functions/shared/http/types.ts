import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RouteDefinition } from '../../api/routes';
import type { Role } from '../db/schema';

/** Who is calling, from a verified Cognito access token. */
export interface AuthContext {
  /** Cognito `sub` for people; the app client id for machine clients. */
  readonly userId: string;
  readonly kind: 'user' | 'service';
  /** Cognito user name (people only). */
  readonly username?: string;
  /** The caller's one role, or null when in no group. */
  readonly role: Role | null;
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  readonly clientId: string;
}

/** What the middleware stack adds to the API Gateway event for the handler. */
export interface RequestState {
  readonly requestId: string;
  readonly route: RouteDefinition;
  auth?: AuthContext;
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

export type ApiEvent = APIGatewayProxyEvent & { parley: RequestState };
export type ApiResult = APIGatewayProxyResult;
