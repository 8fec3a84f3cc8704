import { adminRoutes } from '#admin/routes/index';
import { chatRoutes } from '#chat/routes/index';
import { conversationRoutes } from '#conversations/routes/index';
import { exportRoutes } from '#exports/routes/index';
import { healthRoutes } from '#health/routes/index';
import { HANDLER_GROUPS, type HandlerGroup, type RouteDeclaration } from '#shared/http/route';
import { userRoutes } from '#users/routes/index';

/**
 * Every API route, collected from the groups' route files. The local server routes with this
 * list, CDK builds the API's resources, methods and integrations from it, the OpenAPI document
 * and the route × role tests are generated from it. Adding a route: see docs/architecture.md.
 */
const byGroup = {
  health: healthRoutes,
  users: userRoutes,
  conversations: conversationRoutes,
  chat: chatRoutes,
  exports: exportRoutes,
  admin: adminRoutes,
} as const satisfies Record<HandlerGroup, readonly RouteDeclaration[]>;

export type ApiRoute = (typeof byGroup)[HandlerGroup][number];
export type RouteId = ApiRoute['id'];

export const routes: readonly RouteDeclaration<RouteId>[] = HANDLER_GROUPS.flatMap(
  (group): readonly RouteDeclaration<RouteId>[] => byGroup[group],
);

export const handlerGroups: readonly HandlerGroup[] = HANDLER_GROUPS;

export function routeById(id: RouteId): RouteDeclaration<RouteId> {
  const route = routes.find((r) => r.id === id);
  if (!route) throw new Error(`Unknown route id ${id}`);
  return route;
}

export type { HandlerGroup, RouteDeclaration } from '#shared/http/route';
