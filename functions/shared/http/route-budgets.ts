import type { RouteId } from '#api/index';
import { RateLimitedError } from '../errors';

/** How many requests of one route one caller may make in a minute of the clock (UTC). */
export interface RouteBudget {
  readonly perMinute: number;
  /** What is counted, in the plural, for the 429's detail: "at most 30 searches a minute". */
  readonly what: string;
}

/**
 * Per-caller budgets of the routes that are costly to answer or store something for good: one
 * signed-in caller (a person, or a machine client's service account) may make at most `perMinute`
 * requests of each route in a minute, counted per caller and route in Valkey (shared by every
 * function instance; per instance where there is no cache or it fails). The API handler spends
 * them after authentication, before the body is read; the OpenAPI document declares their 429.
 *
 * The figures are about ten times what a person does by hand and far below what a script did in
 * the abuse audit: a search that finds nothing costs ~0.6 s of database CPU (four at once slowed
 * other people's reads 3.5×); a conversation is a row kept until deleted (576,000 a day from one
 * address); each delete or restore writes an audit event kept for good; an export reads the whole
 * conversation. The chat routes have their own limit (CHAT_RATE_LIMIT_PER_MINUTE).
 *
 * Never on the hot reads (the conversation list, `/api/me`, health, a conversation's messages):
 * one more cache round trip each would cost the throughput the load benchmark measures.
 */
export const ROUTE_BUDGETS: Readonly<Partial<Record<RouteId, RouteBudget>>> = {
  'messages.search': { perMinute: 30, what: 'searches' },
  'conversations.create': { perMinute: 30, what: 'new conversations' },
  'conversations.delete': { perMinute: 30, what: 'conversation deletions' },
  'conversations.restore': { perMinute: 30, what: 'conversation restorations' },
  'conversations.export': { perMinute: 10, what: 'exports' },
};

/** The route's budget, or undefined for a route without one. */
export function routeBudget(routeId: string): RouteBudget | undefined {
  return Object.hasOwn(ROUTE_BUDGETS, routeId) ? ROUTE_BUDGETS[routeId as RouteId] : undefined;
}

/** A caller spent a route's budget for this minute: 429 `rate-limited`, as chat's rate limit. */
export class RouteBudgetSpentError extends RateLimitedError {
  constructor(budget: RouteBudget, retryAfterSeconds: number) {
    super(`You can make at most ${budget.perMinute} ${budget.what} a minute.`, retryAfterSeconds);
  }
}
