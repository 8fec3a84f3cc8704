import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#api/openapi';
import { routes, type RouteId } from '#api/index';
import { ROUTE_BUDGETS, routeBudget } from './route-budgets';

interface Response {
  readonly description?: string;
  readonly headers?: Record<string, unknown>;
  readonly content?: Record<string, unknown>;
  readonly $ref?: string;
}
const document = buildOpenApiDocument();
const paths = document.paths as Record<string, Record<string, { responses: Record<string, Response> }>>;
const tooMany = (id: string): Response | undefined => {
  const route = routes.find((r) => r.id === id);
  return route && paths[route.path]?.[route.method.toLowerCase()]?.responses['429'];
};

/** The reads the load benchmark measures: a cache call on each would cost their throughput. */
const HOT_READS: readonly RouteId[] = [
  'conversations.list',
  'me.get',
  'health.live',
  'health.ready',
  'messages.list',
  'messages.get',
];

describe('ROUTE_BUDGETS', () => {
  it('budgets searches, new, deleted and restored conversations and exports, each on a signed-in route', () => {
    expect(Object.keys(ROUTE_BUDGETS).sort()).toEqual([
      'conversations.create',
      'conversations.delete',
      'conversations.export',
      'conversations.restore',
      'messages.search',
    ]);
    for (const id of Object.keys(ROUTE_BUDGETS)) {
      const route = routes.find((r) => r.id === id);
      expect(route?.access, id).not.toBe('public');
    }
    expect(routeBudget('messages.search')).toEqual({ perMinute: 30, what: 'searches' });
    expect(routeBudget('conversations.export')?.perMinute).toBe(10);
  });

  it('leaves the hot reads, and any name that is no route, without a budget', () => {
    for (const id of [...HOT_READS, 'constructor', '__proto__', 'toString', ''])
      expect(routeBudget(id), id).toBeUndefined();
  });
});

describe('the OpenAPI document of a budgeted route', () => {
  it('declares its 429 as a problem with Retry-After that names the budget', () => {
    for (const [id, budget] of Object.entries(ROUTE_BUDGETS)) {
      const response = tooMany(id);
      expect(response?.headers, id).toHaveProperty('Retry-After');
      expect(response?.content, id).toHaveProperty(['application/problem+json']);
      expect(response?.description, id).toContain(
        `${budget.perMinute} ${budget.what} a minute by one caller`,
      );
    }
  });

  it("keeps a route's own 429 in the description (the exports' downloads in flight)", () => {
    expect(tooMany('conversations.export')?.description).toMatch(
      /downloads of yours already in flight.*10 exports/,
    );
  });

  it('leaves the 429 of a route without a budget the stage throttle', () => {
    expect(tooMany('conversations.list')).toEqual({ $ref: '#/components/responses/TooManyRequests' });
  });
});
