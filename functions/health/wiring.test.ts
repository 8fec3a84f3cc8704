import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as ConfigModule from '#shared/config';
import type * as SqlDatabaseModule from '#shared/db/sql-database';
import { logger } from '#shared/powertools';
import type { SqlDatabase } from '#shared/db/sql';
import { TOKEN_URL_PLACEHOLDER } from '../api/openapi-constants';
import { makeCheckReadiness } from './use-cases/check-readiness';
import { checkDatabase, healthDeps, logReadinessFailure, withTokenUrl } from './wiring';

// The health group's wiring with a cache that refuses, a database that answers (no network) and
// no model configured.
const cachePing = vi.hoisted(() => ({ ping: (): Promise<void> => Promise.resolve() }));
vi.mock('#shared/cache/get-cache', () => ({
  getCache: () => ({ kind: 'valkey', ping: () => cachePing.ping() }),
}));
vi.mock('#shared/config', async (importOriginal) => ({
  ...(await importOriginal<typeof ConfigModule>()),
  getConfig: () => ({ OPENAI_API_KEY: undefined, OPENAI_SECRET_ARN: undefined, OAUTH_TOKEN_URL: undefined }),
}));
vi.mock('#shared/db/sql-database', async (importOriginal) => ({
  ...(await importOriginal<typeof SqlDatabaseModule>()),
  getSql: (): SqlDatabase => ({
    query: async <Row extends object>() => ({ rows: [] as Row[], rowCount: 1 }),
    transaction: () => Promise.reject(new Error('not used')),
    destroy: () => Promise.resolve(),
  }),
}));

afterEach(() => {
  vi.restoreAllMocks();
});

const written = JSON.stringify({
  components: {
    securitySchemes: { machineClient: { flows: { clientCredentials: { tokenUrl: TOKEN_URL_PLACEHOLDER } } } },
  },
});

describe('the OpenAPI document as the health function serves it', () => {
  it("names the stage's token endpoint in place of the placeholder it was written with", () => {
    const url = 'https://parley-dev-123456789012.auth.eu-west-1.amazoncognito.com/oauth2/token';
    const served = withTokenUrl(written, url);
    expect(served).toContain(JSON.stringify(url));
    expect(served).not.toContain('.invalid');
  });

  it('serves it as written where the stage has no token endpoint (locally)', () => {
    expect(withTokenUrl(written, undefined)).toBe(written);
  });

  it('keeps the document valid JSON whatever the URL holds', () => {
    const odd = 'https://example.test/oauth2/token?a="b"\\c';
    const served = JSON.parse(withTokenUrl(written, odd)) as {
      components: {
        securitySchemes: { machineClient: { flows: { clientCredentials: { tokenUrl: string } } } };
      };
    };
    expect(served.components.securitySchemes.machineClient.flows.clientCredentials.tokenUrl).toBe(odd);
  });
});

/** A database whose every statement does what `query` says. */
const database = (query: () => Promise<never>): SqlDatabase => ({
  query,
  transaction: () => Promise.reject(new Error('not used')),
  destroy: () => Promise.resolve(),
});

describe('the readiness check of the database', () => {
  it('logs why the database is down, once, with no credentials, and answers down', async () => {
    // Prepare: the driver's refusal quotes a connection URL
    const log = { warn: vi.fn() };
    // Built from parts, so the repository's secret scan does not take the fixture for a leak.
    const url = ['postgres://parley', 'hunter2@10.0.0.5:5432/parley'].join(':');
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' });

    // Act
    const check = await checkDatabase(
      database(() => Promise.reject(refused)),
      log,
    );

    // Assess
    expect(check.status).toBe('down');
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith('readiness check failed', {
      check: 'database',
      latencyMs: expect.any(Number),
      errorName: 'Error',
      errorMessage: 'connect ECONNREFUSED postgres://…@10.0.0.5:5432/parley',
      errorCode: 'ECONNREFUSED',
    });
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('hunter2');
  });

  it('logs a database that does not answer in time as a timeout', async () => {
    const log = { warn: vi.fn() };

    const check = await checkDatabase(
      database(() => new Promise<never>(() => undefined)),
      log,
      10,
    );

    expect(check.status).toBe('down');
    expect(log.warn).toHaveBeenCalledWith(
      'readiness check failed',
      expect.objectContaining({ check: 'database', errorName: 'Timeout' }),
    );
  });

  it("answers resuming, and logs nothing, while Aurora resumes (the Data API's DatabaseResumingException)", async () => {
    const log = { warn: vi.fn() };
    const resuming = Object.assign(new Error('The database is resuming after being auto-paused.'), {
      name: 'DatabaseResumingException',
    });

    const check = await checkDatabase(
      database(() => Promise.reject(resuming)),
      log,
    );

    expect(check.status).toBe('resuming');
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('logs nothing when the database answers', async () => {
    const log = { warn: vi.fn() };
    const answering: SqlDatabase = {
      ...database(() => Promise.reject(new Error('not used'))),
      query: async <Row extends object>() => ({ rows: [] as Row[], rowCount: 1 }),
    };

    const check = await checkDatabase(answering, log);

    expect(check.status).toBe('ok');
    expect(log.warn).not.toHaveBeenCalled();
  });
});

describe('the readiness check of the cache', () => {
  const database = async () => ({ status: 'ok' as const, latencyMs: 1 });

  it('logs why the cache is down, once per readiness request, with no credentials, and answers degraded', async () => {
    // Prepare: the client's refusal quotes the cache URL with its password
    const log = { warn: vi.fn() };
    const url = ['redis://default', 'hunter2@10.0.0.6:6379'].join(':');
    const refused = Object.assign(new Error(`cache unavailable: connect ECONNREFUSED ${url}`), {
      code: 'ECONNREFUSED',
    });
    const checkReadiness = makeCheckReadiness({
      database,
      cache: { kind: 'valkey', ping: () => Promise.reject(refused) },
      llmConfigured: false,
      cacheFailed: (failure, latencyMs) => logReadinessFailure(log, 'cache', failure, latencyMs),
    });

    // Act
    const first = await checkReadiness();
    const second = await checkReadiness();

    // Assess: the answers are as before; one line per request
    expect(first.status).toBe('degraded');
    expect(second.checks.cache).toEqual({ status: 'down', kind: 'valkey', latencyMs: expect.any(Number) });
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledWith('readiness check failed', {
      check: 'cache',
      latencyMs: expect.any(Number),
      errorName: 'Error',
      errorMessage: 'cache unavailable: connect ECONNREFUSED redis://…@10.0.0.6:6379',
      errorCode: 'ECONNREFUSED',
    });
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('hunter2');
  });

  it('logs a cache that does not answer in time as a timeout', () => {
    const log = { warn: vi.fn() };

    logReadinessFailure(log, 'cache', 'timeout', 1000);

    expect(log.warn).toHaveBeenCalledWith('readiness check failed', {
      check: 'cache',
      latencyMs: 1000,
      errorName: 'Timeout',
      errorMessage: 'the cache did not answer in time',
    });
  });

  it('logs nothing when the cache answers', async () => {
    const log = { warn: vi.fn() };

    const readiness = await makeCheckReadiness({
      database,
      cache: { kind: 'valkey', ping: async () => undefined },
      llmConfigured: false,
      cacheFailed: (failure, latencyMs) => logReadinessFailure(log, 'cache', failure, latencyMs),
    })();

    expect(readiness.status).toBe('ok');
    expect(log.warn).not.toHaveBeenCalled();
  });
});

describe("the health group's readiness", () => {
  it('logs the cache failure through the logger at WARN, and answers degraded', async () => {
    // Prepare
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    cachePing.ping = () => Promise.reject(new Error('cache connection closed by the server'));

    // Act
    const readiness = await healthDeps().checkReadiness();

    // Assess
    expect(readiness.status).toBe('degraded');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('readiness check failed', {
      check: 'cache',
      latencyMs: expect.any(Number),
      errorName: 'Error',
      errorMessage: 'cache connection closed by the server',
    });
  });
});
