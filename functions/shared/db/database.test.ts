import {
  BadRequestException,
  DatabaseResumingException,
  ExecuteStatementCommand,
  RDSData,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type QueryResult,
} from 'kysely';
import { describe, expect, it } from 'vitest';

import {
  checkDatabase,
  isDatabaseResuming,
  retryWhileResuming,
  sqlStateOf,
  withResumeRetry,
} from './database';
import type { Database } from './schema';

const resuming = () => new DatabaseResumingException({ message: 'The database is resuming', $metadata: {} });

/** A clock and sleep that advance together, so backoff runs instantly and is observable. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('retryWhileResuming', () => {
  it('retries while the database is resuming and returns the first success', async () => {
    // Prepare
    const time = fakeTime();
    let calls = 0;
    const operation = async () => {
      calls++;
      if (calls < 3) throw resuming();
      return 'ok';
    };
    // Act
    const result = await retryWhileResuming(operation, { ...time, random: () => 0.5 });
    // Assess
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(time.sleeps).toEqual([375, 750]); // cap 500 then 1000, each half fixed + half jitter
  });

  it('backs off exponentially up to the maximum delay', async () => {
    const time = fakeTime();
    await expect(
      retryWhileResuming(() => Promise.reject(resuming()), {
        ...time,
        random: () => 1,
        maxElapsedMs: 60_000,
      }),
    ).rejects.toBeInstanceOf(DatabaseResumingException);
    expect(time.sleeps.slice(0, 6)).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });

  it('gives up with the last error once the time budget would be exceeded', async () => {
    const time = fakeTime();
    let calls = 0;
    const error = await retryWhileResuming(
      async () => {
        calls++;
        throw resuming();
      },
      { ...time, random: () => 1, maxElapsedMs: 45_000 },
    ).catch((e: unknown) => e);
    expect(isDatabaseResuming(error)).toBe(true);
    expect(time.now()).toBeLessThanOrEqual(45_000);
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(time.now());
    expect(calls).toBe(time.sleeps.length + 1);
    expect(calls).toBeGreaterThan(5);
  });

  it('does not retry other errors', async () => {
    const time = fakeTime();
    let calls = 0;
    const failure = new BadRequestException({
      message: 'ERROR: syntax error; SQLState: 42601',
      $metadata: {},
    });
    await expect(
      retryWhileResuming(async () => {
        calls++;
        throw failure;
      }, time),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('recognises the exception by name too (errors crossing module copies)', () => {
    expect(isDatabaseResuming(Object.assign(new Error('x'), { name: 'DatabaseResumingException' }))).toBe(
      true,
    );
    expect(isDatabaseResuming(new Error('x'))).toBe(false);
    expect(isDatabaseResuming(undefined)).toBe(false);
  });
});

describe('withResumeRetry', () => {
  it('retries RDSData calls that fail with DatabaseResumingException', async () => {
    // Prepare
    const client = new RDSData({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(client);
    mock.on(ExecuteStatementCommand).rejectsOnce(resuming()).resolves({ numberOfRecordsUpdated: 1 });
    const time = fakeTime();
    // Act
    const result = await withResumeRetry(client, time).executeStatement({
      resourceArn: 'arn:r',
      secretArn: 'arn:s',
      sql: 'select 1',
    });
    // Assess
    expect(result.numberOfRecordsUpdated).toBe(1);
    expect(mock.commandCalls(ExecuteStatementCommand)).toHaveLength(2);
    expect(time.sleeps).toHaveLength(1);
  });

  it('uses a class-level mock installed after wrapping', async () => {
    const client = withResumeRetry(
      new RDSData({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      fakeTime(),
    );
    const mock = mockClient(RDSData);
    try {
      mock.on(ExecuteStatementCommand).rejectsOnce(resuming()).resolves({ numberOfRecordsUpdated: 2 });
      const result = await client.executeStatement({
        resourceArn: 'arn:r',
        secretArn: 'arn:s',
        sql: 'select 1',
      });
      expect(result.numberOfRecordsUpdated).toBe(2);
      expect(mock.commandCalls(ExecuteStatementCommand)).toHaveLength(2);
    } finally {
      mock.restore();
    }
  });
});

/** A Kysely whose every query does `run` (no network). */
function fakeDatabase(run: () => Promise<QueryResult<unknown>>): Kysely<Database> {
  class Driver extends DummyDriver {
    override async acquireConnection(): Promise<DatabaseConnection> {
      return {
        executeQuery: run as DatabaseConnection['executeQuery'],
        // eslint-disable-next-line require-yield
        streamQuery: async function* () {
          throw new Error('not supported');
        },
      };
    }
  }
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new Driver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
}

describe('checkDatabase', () => {
  it('reports ok with the latency when select 1 succeeds', async () => {
    const result = await checkDatabase(fakeDatabase(async () => ({ rows: [{ '?column?': 1 }] })));
    expect(result.status).toBe('ok');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports down, without throwing, when the query fails', async () => {
    const result = await checkDatabase(
      fakeDatabase(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))),
    );
    expect(result.status).toBe('down');
  });

  it('reports down when the query does not answer in time', async () => {
    const started = Date.now();
    const result = await checkDatabase(
      fakeDatabase(() => new Promise(() => undefined)),
      50,
    );
    expect(result.status).toBe('down');
    expect(result.latencyMs).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('sqlStateOf', () => {
  it('reads the SQLSTATE from a pg error and from a Data API message', () => {
    expect(sqlStateOf(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe('23505');
    expect(
      sqlStateOf(
        new BadRequestException({ message: 'ERROR: duplicate key value; SQLState: 23505', $metadata: {} }),
      ),
    ).toBe('23505');
    expect(sqlStateOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(sqlStateOf('nope')).toBeUndefined();
  });
});
