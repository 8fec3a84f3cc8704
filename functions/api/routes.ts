import type { Role } from '../shared/db/schema';

/**
 * The one table of API routes. The local server routes with it, the handlers take their role
 * checks from it, the CDK API stack builds its resources and integrations from it, and the
 * OpenAPI document lists it. Paths are API Gateway resource templates (`{id}`), under `/api`
 * because CloudFront forwards `/api/*` unchanged.
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One Lambda function per group; its entry is `functions/<group>/handlers/index.ts`. */
export type HandlerGroup = 'health' | 'users' | 'conversations';

/**
 * `public`: no token. `signed-in`: any valid token, even one in no group.
 * A list of roles: a valid token whose role is one of them.
 */
export type RouteAccess = 'public' | 'signed-in' | readonly Role[];

export interface RouteDefinition {
  /** Stable name used in logs, metrics and the OpenAPI operationId. */
  readonly id: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly group: HandlerGroup;
  readonly access: RouteAccess;
  /** Machine-client scopes that may call this route (client-credentials tokens). */
  readonly scopes?: readonly ('parley/chat.read' | 'parley/chat.write')[];
  /** Answered as a response stream (API Gateway ResponseTransferMode.STREAM). */
  readonly streaming?: boolean;
}

const CHATTERS: readonly Role[] = ['members', 'admins'];
const READ = ['parley/chat.read'] as const;
const WRITE = ['parley/chat.write'] as const;

export const routes: readonly RouteDefinition[] = [
  { id: 'health.live', method: 'GET', path: '/api/health', group: 'health', access: 'public' },
  { id: 'health.ready', method: 'GET', path: '/api/health/ready', group: 'health', access: 'public' },
  { id: 'openapi.get', method: 'GET', path: '/api/openapi.json', group: 'health', access: 'public' },
  { id: 'me.get', method: 'GET', path: '/api/me', group: 'users', access: 'signed-in' },
  {
    id: 'conversations.list',
    method: 'GET',
    path: '/api/conversations',
    group: 'conversations',
    access: CHATTERS,
    scopes: READ,
  },
  {
    id: 'conversations.create',
    method: 'POST',
    path: '/api/conversations',
    group: 'conversations',
    access: CHATTERS,
    scopes: WRITE,
  },
  {
    id: 'conversations.get',
    method: 'GET',
    path: '/api/conversations/{id}',
    group: 'conversations',
    access: CHATTERS,
    scopes: READ,
  },
  {
    id: 'conversations.rename',
    method: 'PATCH',
    path: '/api/conversations/{id}',
    group: 'conversations',
    access: CHATTERS,
    scopes: WRITE,
  },
  {
    id: 'conversations.delete',
    method: 'DELETE',
    path: '/api/conversations/{id}',
    group: 'conversations',
    access: CHATTERS,
    scopes: WRITE,
  },
];

export const handlerGroups: readonly HandlerGroup[] = [...new Set(routes.map((r) => r.group))];

export function routeById(id: string): RouteDefinition {
  const route = routes.find((r) => r.id === id);
  if (!route) throw new Error(`Unknown route id ${id}`);
  return route;
}
