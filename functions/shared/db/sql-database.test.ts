import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  errorAnswer,
  resumingAnswer,
  selectOneAnswer,
  startDataApiTestServer,
  TEST_CREDENTIALS,
  TEST_DATA_API_CONFIG,
  type DataApiAnswer,
  type DataApiTestServer,
} from '../../../test/support/aws/data-api-test-server';
import { sql, type SqlDatabase } from './sql';
import { checkSql, createSqlDatabase } from './sql-database';

const ARNS = {
  resourceArn: TEST_DATA_API_CONFIG.DB_CLUSTER_ARN,
  secretArn: TEST_DATA_API_CONFIG.DB_SECRET_ARN,
};

let server: DataApiTestServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** The Data API at `answer`, reached as on Lambda: the endpoint setting and the environment's keys. */
async function dataApi(answer: (index: number) => DataApiAnswer): Promise<SqlDatabase> {
  server = await startDataApiTestServer({ answer });
  vi.stubEnv('AWS_ENDPOINT_URL_RDS_DATA', server.url);
  vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', '');
  vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
  return createSqlDatabase(TEST_DATA_API_CONFIG, {
    resumeRetry: { baseDelayMs: 4, maxDelayMs: 10, maxElapsedMs: 200 },
  });
}

const updated = (n: number): DataApiAnswer => ({ status: 200, body: { numberOfRecordsUpdated: n } });

describe('createSqlDatabase on the Data API', () => {
  it('sends the statement with named parameters and the target, and reads the rows', async () => {
    // Prepare
    const db = await dataApi(() => selectOneAnswer);

    // Act
    const result = await db.query<{ one: number }>(sql`select 1 as one where ${'a'} <> ${null}`);

    // Assess
    expect(result).toEqual({ rows: [{ one: 1 }], rowCount: 1 });
    expect(server?.calls).toHaveLength(1);
    expect(server?.calls[0]).toMatchObject({
      operation: 'ExecuteStatement',
      body: {
        ...ARNS,
        database: 'parley',
        sql: 'select 1 as one where :0 <> :1',
        parameters: [
          { name: '0', value: { stringValue: 'a' } },
          { name: '1', value: { isNull: true } },
        ],
        includeResultMetadata: true,
      },
    });
    expect(server?.calls[0]?.body).not.toHaveProperty('transactionId');
  });

  it('counts the rows an update changed', async () => {
    const db = await dataApi(() => updated(3));
    expect(await db.query(sql`update t set a = ${1}`)).toEqual({ rows: [], rowCount: 3 });
  });

  it('retries while Aurora resumes, then gives up with DatabaseResumingException', async () => {
    const db = await dataApi((index) => (index < 2 ? resumingAnswer : selectOneAnswer));
    expect((await db.query(sql`select 1 as one`)).rows).toEqual([{ one: 1 }]);
    expect(server?.calls).toHaveLength(3);
    await server?.close();

    const paused = await dataApi(() => resumingAnswer);
    await expect(paused.query(sql`select 1 as one`)).rejects.toMatchObject({
      name: 'DatabaseResumingException',
    });
  });

  it('runs a transaction: begin, the statements with its id, commit', async () => {
    // Prepare
    const db = await dataApi((index) =>
      index === 0
        ? { status: 200, body: { transactionId: 'tx-1' } }
        : index === 3
          ? { status: 200, body: { transactionStatus: 'Transaction Committed' } }
          : updated(1),
    );

    // Act
    const result = await db.transaction(async (tx) => {
      await tx.query(sql`update a set n = ${1}`);
      await tx.query(sql`update b set n = ${2}`);
      return 'done';
    });

    // Assess
    expect(result).toBe('done');
    expect(server?.calls.map((c) => c.operation)).toEqual([
      'BeginTransaction',
      'ExecuteStatement',
      'ExecuteStatement',
      'CommitTransaction',
    ]);
    expect(server?.calls[0]?.body).toEqual({ ...ARNS, database: 'parley' });
    expect(server?.calls[1]?.body).toMatchObject({ transactionId: 'tx-1', sql: 'update a set n = :0' });
    expect(server?.calls[3]?.body).toEqual({ ...ARNS, transactionId: 'tx-1' });
  });

  it('rolls the transaction back when the work throws, and throws the work’s error', async () => {
    const db = await dataApi((index) =>
      index === 0
        ? { status: 200, body: { transactionId: 'tx-2' } }
        : index === 1
          ? errorAnswer(400, 'BadRequestException', 'ERROR: duplicate key; SQLState: 23505')
          : { status: 200, body: { transactionStatus: 'Rollback Complete' } },
    );

    await expect(db.transaction((tx) => tx.query(sql`insert into t values (${1})`))).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('SQLState: 23505'),
    });
    expect(server?.calls.map((c) => c.operation)).toEqual([
      'BeginTransaction',
      'ExecuteStatement',
      'RollbackTransaction',
    ]);
    expect(server?.calls[2]?.body).toEqual({ ...ARNS, transactionId: 'tx-2' });
  });

  it('keeps the work’s error when the rollback fails too', async () => {
    const db = await dataApi((index) =>
      index === 0
        ? { status: 200, body: { transactionId: 'tx-3' } }
        : errorAnswer(400, 'BadRequestException', 'Transaction tx-3 is not found'),
    );
    await expect(
      db.transaction(async () => {
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
  });

  it('refuses a transaction the service began without an id', async () => {
    const db = await dataApi(() => ({ status: 200, body: {} }));
    await expect(db.transaction(async () => 1)).rejects.toThrow('began a transaction without an id');
  });
});

describe('createSqlDatabase with node-postgres', () => {
  it('refuses DB_DRIVER=pg in a Lambda bundle, which holds the Data API driver only', () => {
    vi.stubEnv('PARLEY_BUNDLE', 'lambda');
    expect(() =>
      createSqlDatabase({ DB_DRIVER: 'pg', DATABASE_URL: 'postgres://parley@db.internal/parley' }),
    ).toThrow('DB_DRIVER=pg: this Lambda bundle has the Data API driver only (DB_DRIVER=data-api)');
  });
});

/** A query layer whose every statement does `run` (no network). */
const fakeSql = (run: () => Promise<unknown>): SqlDatabase => ({
  query: async () => {
    await run();
    return { rows: [], rowCount: 0 };
  },
  transaction: () => Promise.reject(new Error('not used')),
  destroy: async () => undefined,
});

describe('checkSql', () => {
  it('reports ok with the latency when select 1 succeeds', async () => {
    const result = await checkSql(fakeSql(async () => undefined));
    expect(result.status).toBe('ok');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports down, without throwing, when the query fails', async () => {
    const result = await checkSql(
      fakeSql(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))),
    );
    expect(result.status).toBe('down');
  });

  it('reports down when the query does not answer in time', async () => {
    const started = Date.now();
    const result = await checkSql(
      fakeSql(() => new Promise(() => undefined)),
      50,
    );
    expect(result.status).toBe('down');
    expect(result.latencyMs).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
