import { BadRequestException, ExecuteStatementCommand, RDSData } from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { DataApiServiceError } from '../aws/data-api-client';
import {
  resumingAnswer,
  selectOneAnswer,
  startDataApiTestServer,
  TEST_CREDENTIALS,
  TEST_DATA_API_CONFIG,
  type DataApiTestServer,
} from '../../../test/support/aws/data-api-test-server';
import { createDatabase } from './database';
import { sqlStateOf } from './sql-state';

describe('createDatabase on the Data API', () => {
  let server: DataApiTestServer | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
    server = undefined;
  });

  /** Points the client createDatabase builds at `running` (the SDK's setting), with its keys in the environment. */
  const useEndpoint = (running: DataApiTestServer) => {
    vi.stubEnv('AWS_ENDPOINT_URL_RDS_DATA', running.url);
    vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', '');
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
  };

  it('builds a client that retries while Aurora resumes', async () => {
    // Prepare: the Data API answers "resuming" twice, then the result
    server = await startDataApiTestServer({
      answer: (index) => (index < 2 ? resumingAnswer : selectOneAnswer),
    });
    useEndpoint(server);
    const db = createDatabase(TEST_DATA_API_CONFIG, { resumeRetry: { baseDelayMs: 4, maxDelayMs: 10 } });

    // Act
    const result = await sql<{ one: number }>`select 1 as one`.execute(db);

    // Assess
    expect(result.rows).toEqual([{ one: 1 }]);
    expect(server.calls).toHaveLength(3);
    expect(server.calls[0]?.body).toMatchObject({
      resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db-AbCdEf',
      database: 'parley',
      sql: 'select 1 as one',
      includeResultMetadata: true,
    });
    await db.destroy();
  });

  it('gives up with DatabaseResumingException after resumeRetry.maxElapsedMs', async () => {
    server = await startDataApiTestServer({ answer: () => resumingAnswer });
    useEndpoint(server);
    const db = createDatabase(TEST_DATA_API_CONFIG, {
      resumeRetry: { baseDelayMs: 4, maxDelayMs: 10, maxElapsedMs: 30 },
    });

    await expect(sql`select 1 as one`.execute(db)).rejects.toMatchObject({
      name: 'DatabaseResumingException',
    });
    await db.destroy();
  });

  it('uses a given rdsData client as it is (the SDK’s RDSData fits the option)', async () => {
    // Prepare: a stubbed `send` skips the SDK middleware, so it sees each call exactly once
    const client = new RDSData({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const mock = mockClient(client);
    mock.on(ExecuteStatementCommand).resolves({
      columnMetadata: [{ name: 'one', typeName: 'int4' }],
      records: [[{ longValue: 1 }]],
    });
    const db = createDatabase(TEST_DATA_API_CONFIG, { rdsData: client });

    // Act
    const result = await sql<{ one: number }>`select 1 as one`.execute(db);

    // Assess
    expect(result.rows).toEqual([{ one: 1 }]);
    expect(mock.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
    await db.destroy();
  });
});

describe('createDatabase with node-postgres', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('refuses DB_DRIVER=pg in a Lambda bundle, which holds the Data API driver only', () => {
    vi.stubEnv('PARLEY_BUNDLE', 'lambda');

    expect(() =>
      createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: 'postgres://parley@db.internal/parley' }),
    ).toThrow('DB_DRIVER=pg: this Lambda bundle has the Data API driver only (DB_DRIVER=data-api)');
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
    expect(
      sqlStateOf(new DataApiServiceError('BadRequestException', 'ERROR: x; SQLState: 40001', 400, undefined)),
    ).toBe('40001');
    expect(sqlStateOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(sqlStateOf('nope')).toBeUndefined();
    expect(sqlStateOf(null)).toBeUndefined();
    expect(sqlStateOf({ code: 23505, message: { text: 'SQLState: 23505' } })).toBeUndefined();
    expect(sqlStateOf(new Error('ERROR: deadlock detected'))).toBeUndefined();
  });
});
