import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { getConfig } from '../config';
import { logger, metrics, metricsMiddleware, MetricUnit, tracing } from '../powertools';
import type { RouteBudgetLimiter } from '../rate-limit/route-budget-limiter';
import type { RevocationList } from '../revocation/revocation-list';
import { authenticate, createTokenVerifier, type ServiceAccountRoles, type TokenVerifier } from './auth';
import { errorHandler } from './error-handler';
import { responseHeaders } from './headers';
import { jsonBody } from './json-body';
import type { Route, RouteDeclaration } from './route';
import { routeBudget, RouteBudgetSpentError } from './route-budgets';
import type { ApiEvent, ApiResult, AuthContext } from './types';
import { inputSchemas, validation } from './validation';

export interface HandlerDependencies {
  readonly verifier: () => TokenVerifier;
  readonly serviceRoles: () => ServiceAccountRoles;
  readonly revocations: () => RevocationList;
  /** Counts each caller's requests of the routes that have a budget (route-budgets.ts). */
  readonly budgets: () => RouteBudgetLimiter;
}

let verifier: TokenVerifier | undefined;
let revocations: RevocationList | undefined;
/** Asked for on every authenticated request: one object, not one per request. */
const serviceRolesOnFirstUse: ServiceAccountRoles = {
  roleOf: async (clientId, requestId) => (await serviceAccountRoles()).roleOf(clientId, requestId),
};
/** Counted in the cache, loaded on first use: only budgeted routes need it. */
const budgetsOnFirstUse: RouteBudgetLimiter = {
  consume: async (routeId, callerId, perMinute) =>
    (await routeBudgetLimiter()).consume(routeId, callerId, perMinute),
};
let dependencies: HandlerDependencies = {
  verifier: () => (verifier ??= createTokenVerifier(getConfig())),
  serviceRoles: () => serviceRolesOnFirstUse,
  revocations: () =>
    (revocations ??= {
      // Loaded on first use, like the database itself: public routes never need them.
      standingOf: async (userId) => (await revocationList()).standingOf(userId),
      revokeTokens: async (userId) => (await revocationList()).revokeTokens(userId),
    }),
  budgets: () => budgetsOnFirstUse,
};

let loadedRouteBudgets: Promise<RouteBudgetLimiter> | undefined;
/**
 * In Valkey where the stage has one (every instance shares the count); without it, getCache's
 * in-process cache, so each instance counts on its own, as it does while Valkey fails.
 */
function routeBudgetLimiter(): Promise<RouteBudgetLimiter> {
  loadedRouteBudgets ??= (async () => {
    const [{ getCache }, { cacheRouteBudgets }] = await Promise.all([
      import('../cache/get-cache'),
      import('../rate-limit/route-budget-limiter'),
    ]);
    return cacheRouteBudgets({
      cache: getCache,
      onCacheError: (error) =>
        logger.warn('route budget counted locally: cache unavailable', { error: error as Error }),
    });
  })();
  return loadedRouteBudgets;
}

let loadedServiceAccountRoles: Promise<ServiceAccountRoles> | undefined;
/** Machine clients' roles through the cache, loaded on first use like the database. */
function serviceAccountRoles(): Promise<ServiceAccountRoles> {
  loadedServiceAccountRoles ??= (async () => {
    const [{ getSql }, { getCache }, { postgresServiceAccountRoles }] = await Promise.all([
      import('../db/sql-database'),
      import('../cache/get-cache'),
      import('./service-account-roles'),
    ]);
    return postgresServiceAccountRoles(getSql, getCache, {
      cacheLookup(what, hit) {
        metrics.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1);
        metrics.addMetadata('cacheLookup', what);
      },
    });
  })();
  return loadedServiceAccountRoles;
}

let loadedRevocationList: Promise<RevocationList> | undefined;
function revocationList(): Promise<RevocationList> {
  loadedRevocationList ??= (async () => {
    const [{ getSql }, { getCache }, { postgresRevocationList }] = await Promise.all([
      import('../db/sql-database'),
      import('../cache/get-cache'),
      import('../revocation/postgres-revocation-list'),
    ]);
    return postgresRevocationList(getSql(), getCache);
  })();
  return loadedRevocationList;
}

/** Replaces how handlers verify tokens and find service-account roles (tests, the local server). */
export function setHandlerDependencies(overrides: Partial<HandlerDependencies>): void {
  dependencies = { ...dependencies, ...overrides };
}

/** Starts request state before anything else, so every later error can name its request. */
function requestState(route: RouteDeclaration): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'request-state',
    before: (request) => {
      const requestId =
        request.event.requestContext?.requestId || request.context?.awsRequestId || randomUUID();
      request.event.parley = { requestId, route };
      logger.appendKeys({ requestId, route: route.id });
      // One count per request and route: traffic per route on the dashboard, and never an empty
      // metrics flush. Where metrics are off (POWERTOOLS_METRICS_DISABLED: the local server,
      // tests) nothing would ever be published, so nothing is recorded either.
      if (!metrics.publishing) return;
      metrics.addDimension('route', route.id);
      metrics.addMetric('Requests', MetricUnit.Count, 1);
    },
  };
}

/**
 * Spends one request of the caller's budget for the route (route-budgets.ts), keyed by the
 * verified caller's id and the route id only; beyond it, 429 before the body is even parsed.
 * Routes without a budget (the hot reads among them) make no call at all.
 */
function spendBudget(route: RouteDeclaration, multiplier: number): middy.MiddlewareObj<ApiEvent, ApiResult> {
  const declared = routeBudget(route.id);
  const budget = declared && { ...declared, perMinute: declared.perMinute * multiplier };
  return {
    name: 'route-budget',
    before: async (request) => {
      const caller = request.event.parley.auth;
      if (!budget || !caller) return;
      const spent = await dependencies.budgets().consume(route.id, caller.userId, budget.perMinute);
      if (spent.allowed) return;
      metrics.addMetric('RateLimitRejections', MetricUnit.Count, 1);
      throw new RouteBudgetSpentError(budget, spent.retryAfterSeconds);
    },
  };
}

/**
 * One API route as a Lambda handler: the whole middleware stack, then the route's own handle with
 * its group's use cases. Order matters: state, logging, metrics and tracing wrap everything;
 * headers and the error handler see every outcome; authentication, then the caller's budget for
 * the route, run before the body is even parsed.
 */
export function routeHandler<Deps>(
  route: Route<string, Deps>,
  deps: () => Deps,
): middy.MiddyfiedHandler<ApiEvent, ApiResult, Error, Context> {
  const config = getConfig();
  // injectLambdaContext without resetKeys: a streamed reply logs after the middleware returns and
  // must still name its request. Each invocation has its own keys (invocationScope in the router),
  // and requestState sets them anew. Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it
  // holds the bearer token and the body (a message's content).
  const logContext = injectLambdaContext(logger, { logEvent: false });
  return middy<ApiEvent, ApiResult, Error, Context>()
    .use(requestState(route))
    .use(logContext as middy.MiddlewareObj<ApiEvent, ApiResult>)
    .use(metricsMiddleware() as middy.MiddlewareObj<ApiEvent, ApiResult>)
    .use(tracing() as middy.MiddlewareObj<ApiEvent, ApiResult>[])
    .use(
      responseHeaders({
        webOrigin: config.WEB_ORIGIN,
        cacheControl: route.access === 'public' ? 'no-cache' : 'no-store',
      }),
    )
    .use(errorHandler())
    .use(
      authenticate({
        verifier: () => dependencies.verifier(),
        serviceRoles: () => dependencies.serviceRoles(),
        revocations: () => dependencies.revocations(),
      }),
    )
    .use(spendBudget(route, config.ROUTE_BUDGET_MULTIPLIER))
    .use(jsonBody({ maxBytes: config.MAX_BODY_BYTES }))
    .use(validation(inputSchemas(route)))
    .handler(async (event) => {
      const state = event.parley;
      return route.handle(
        {
          // Present on every non-public route (authenticate guarantees it); public routes ignore it.
          caller: state.auth as AuthContext,
          params: state.params,
          query: state.query,
          body: state.body,
          headers: state.headers ?? {},
          requestId: state.requestId,
          event,
        },
        deps(),
      );
    });
}
