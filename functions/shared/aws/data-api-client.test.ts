import { RDSData } from '@aws-sdk/client-rds-data';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { sqlStateOf } from '../db/sql-state';
import { isDatabaseUnavailable } from '../db/unavailable';
import {
  createDataApiClient,
  defaultEndpoint,
  isDatabaseResuming,
  type DataApiClient,
  type DataApiClientOptions,
  type ExecuteStatementInput,
} from './data-api-client';
import {
  errorAnswer,
  resumingAnswer,
  selectOneAnswer,
  startDataApiTestServer,
  TEST_CREDENTIALS,
  type DataApiAnswer,
  type DataApiCall,
  type DataApiTestServer,
} from '../../../test/support/aws/data-api-test-server';

const ARNS = {
  resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db-AbCdEf',
};

let server: DataApiTestServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function serve(answer: (index: number, call: DataApiCall) => DataApiAnswer | Promise<DataApiAnswer>) {
  server = await startDataApiTestServer({ answer });
  return server;
}

/** Our client on `running`, retrying at once (no jitter) unless told otherwise. */
const ourClient = (running: DataApiTestServer, options: Partial<DataApiClientOptions> = {}): DataApiClient =>
  createDataApiClient({
    region: 'eu-west-1',
    endpoint: running.url,
    credentials: () => TEST_CREDENTIALS,
    random: () => 0,
    resumeRetry: { baseDelayMs: 2, maxDelayMs: 4 },
    ...options,
  });

const sdkClient = (running: DataApiTestServer) =>
  new RDSData({ region: 'eu-west-1', endpoint: running.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 });

/** The error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

const withoutMetadata = ({ $metadata: _metadata, ...rest }: { $metadata?: unknown }) => rest;

// What kysely-data-api sends (data-api-driver.js): every kind of parameter its compiler makes.
const STATEMENT: ExecuteStatementInput = {
  transactionId: undefined,
  ...ARNS,
  sql: 'insert into t values (:0, :1, :2, :3, :4, :5, :6, :7) returning *',
  parameters: [
    { name: '0', value: { stringValue: 'é ✓' } },
    { name: '1', value: { longValue: 42 } },
    { name: '2', value: { doubleValue: 1.5 } },
    { name: '3', value: { booleanValue: false } },
    { name: '4', value: { isNull: true } },
    { name: '5', value: { blobValue: Buffer.from([0, 1, 254, 255]) } },
    { name: '6', typeHint: 'TIMESTAMP', value: { stringValue: '2030-01-02 03:04:05.678' } },
    { name: '7', value: { doubleValue: Number.POSITIVE_INFINITY } },
  ],
  database: 'parley',
  includeResultMetadata: true,
};

// A result with every kind of field the service returns.
const RICH_RESULT: DataApiAnswer = {
  status: 200,
  body: {
    columnMetadata: [
      {
        name: 'a',
        label: 'a',
        typeName: 'text',
        type: 12,
        nullable: 1,
        isSigned: false,
        precision: 2147483647,
        scale: 0,
        schemaName: '',
        tableName: 't',
        arrayBaseColumnType: 0,
        isAutoIncrement: false,
        isCaseSensitive: true,
        isCurrency: false,
      },
      { name: 'b', typeName: 'bytea', type: -2 },
    ],
    records: [
      [
        { stringValue: 'é ✓' },
        { blobValue: Buffer.from([0, 1, 254, 255]).toString('base64') },
        { longValue: 9_007_199_254_740_991 },
        { doubleValue: 'NaN' },
        { doubleValue: -0.25 },
        { booleanValue: true },
        { isNull: true },
        { arrayValue: { stringValues: ['x', null, 'y'] } },
        { arrayValue: { longValues: [1, 2] } },
        {
          arrayValue: {
            arrayValues: [{ doubleValues: [1.5, 'Infinity'] }, null, { booleanValues: [true, null] }],
          },
        },
      ],
      [],
    ],
    numberOfRecordsUpdated: 1,
    generatedFields: [{ longValue: 7 }, { blobValue: 'AQI=' }],
    unknownMember: { ignored: true },
  },
};

describe('the Data API client, on the wire', () => {
  it('sends ExecuteStatement as the AWS SDK does and returns what it returns', async () => {
    // Prepare
    const running = await serve(() => RICH_RESULT);

    // Act
    const ours = await ourClient(running).executeStatement(STATEMENT);
    const sdk = await sdkClient(running).executeStatement(STATEMENT);

    // Assess: the same request…
    const [ourCall, sdkCall] = running.calls;
    expect(ourCall?.path).toBe('/Execute');
    expect(ourCall?.body).toEqual(sdkCall?.body);
    expect(ourCall?.body).toMatchObject({
      parameters: expect.arrayContaining([
        { name: '5', value: { blobValue: 'AAH+/w==' } },
        { name: '7', value: { doubleValue: 'Infinity' } },
      ]),
    });
    expect(ourCall?.body).not.toHaveProperty('transactionId');
    expect(ourCall?.headers['content-type']).toBe('application/json');
    // …and the same result, blobs as Uint8Array, NaN as a number
    expect(withoutMetadata(ours)).toEqual(withoutMetadata(sdk));
    expect(ours.records?.[0]?.[1]?.blobValue).toBeInstanceOf(Uint8Array);
    expect([...(ours.records?.[0]?.[1]?.blobValue ?? [])]).toEqual([0, 1, 254, 255]);
    expect(ours.records?.[0]?.[3]?.doubleValue).toBeNaN();
    expect(ours.$metadata).toEqual({
      httpStatusCode: 200,
      requestId: 'req-0',
      attempts: 1,
      totalRetryDelay: 0,
    });
  });

  it.each([
    ['beginTransaction', '/BeginTransaction', { ...ARNS, database: 'parley' }, { transactionId: 'tx-1' }],
    [
      'commitTransaction',
      '/CommitTransaction',
      { ...ARNS, transactionId: 'tx-1' },
      { transactionStatus: 'Transaction Committed' },
    ],
    [
      'rollbackTransaction',
      '/RollbackTransaction',
      { ...ARNS, transactionId: 'tx-1' },
      { transactionStatus: 'Rollback Complete' },
    ],
  ] as const)(
    'sends %s as the AWS SDK does and returns what it returns',
    async (method, path, input, result) => {
      const running = await serve(() => ({ status: 200, body: result }));
      const ours = ourClient(running) as unknown as Record<
        string,
        (i: unknown) => Promise<{ $metadata?: unknown }>
      >;
      const sdk = sdkClient(running) as unknown as Record<
        string,
        (i: unknown) => Promise<{ $metadata?: unknown }>
      >;

      const ourResult = await ours[method]?.(input);
      const sdkResult = await sdk[method]?.(input);

      expect(running.calls.map((c) => c.path)).toEqual([path, path]);
      expect(running.calls[0]?.body).toEqual(running.calls[1]?.body);
      expect(running.calls[0]?.body).toEqual(input);
      expect(withoutMetadata(ourResult ?? {})).toEqual(result);
      expect(withoutMetadata(ourResult ?? {})).toEqual(withoutMetadata(sdkResult ?? {}));
    },
  );

  it('calls over node:https by default, never the global fetch (undici loads on its first call)', async () => {
    const running = await serve(() => selectOneAnswer);
    vi.stubGlobal('fetch', () => {
      throw new Error('the global fetch was called');
    });
    try {
      const result = await ourClient(running).executeStatement({ ...ARNS, sql: 'select 1' });

      expect(result.records).toEqual([[{ longValue: 1 }]]);
      expect(running.calls).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('signs with the environment’s credentials by default, at the configured endpoint', async () => {
    const running = await serve(() => selectOneAnswer);
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
    vi.stubEnv('AWS_ENDPOINT_URL_RDS_DATA', running.url);

    const result = await createDataApiClient({ region: 'eu-west-1' }).executeStatement({
      ...ARNS,
      sql: 'select 1',
    });

    expect(result.records).toEqual([[{ longValue: 1 }]]);
    expect(running.calls[0]?.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.sessionToken);
  });

  it('fails without credentials in the environment, before any request', async () => {
    const running = await serve(() => selectOneAnswer);
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');

    const error = await rejectionOf(
      createDataApiClient({ region: 'eu-west-1', endpoint: running.url }).executeStatement({
        ...ARNS,
        sql: 'select 1',
      }),
    );

    expect(error.name).toBe('CredentialsProviderError');
    expect(running.calls).toHaveLength(0);
    expect(running.refused).toHaveLength(0);
  });

  it('is refused by the service when the signature is wrong, and does not retry', async () => {
    const running = await serve(() => selectOneAnswer);
    const client = ourClient(running, {
      credentials: () => ({ ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' }),
    });

    const error = await rejectionOf(client.executeStatement({ ...ARNS, sql: 'select 1' }));

    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$fault).toBe('client');
    expect(running.refused).toEqual([{ path: '/Execute', errorType: 'InvalidSignatureException' }]);
    expect(running.calls).toHaveLength(0);
  });
});

describe('the Data API client’s errors', () => {
  it('names a statement error after its type, with the SQLSTATE in the message, as the SDK does', async () => {
    const running = await serve(() =>
      errorAnswer(
        400,
        'BadRequestException',
        'ERROR: duplicate key value violates unique constraint "users_email_key"; SQLState: 23505',
      ),
    );

    const ours = await rejectionOf(ourClient(running).executeStatement(STATEMENT));
    const sdk = await rejectionOf(sdkClient(running).executeStatement(STATEMENT));

    expect(ours).toBeInstanceOf(Error);
    expect(ours.name).toBe('BadRequestException');
    expect([ours.name, ours.message, ours.$fault]).toEqual([sdk.name, sdk.message, sdk.$fault]);
    expect(sqlStateOf(ours)).toBe('23505');
    expect(ours.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
    expect(isDatabaseUnavailable(ours)).toBe(false);
    // Not retried: one request each.
    expect(running.calls).toHaveLength(2);
  });

  it.each([
    ['the x-amzn-ErrorType header', { status: 400, errorType: 'SomeNewException', body: { message: 'new' } }],
    ['the body’s code', { status: 400, rawBody: '{"code":"SomeNewException","message":"new"}' }],
    [
      'the body’s __type',
      { status: 400, rawBody: '{"__type":"com.amazonaws.rdsdata#SomeNewException","Message":"new"}' },
    ],
  ] as const)('names an unknown error type found in %s as the SDK does', async (_where, answer) => {
    const running = await serve(() => answer);

    const ours = await rejectionOf(ourClient(running).executeStatement(STATEMENT));
    const sdk = await rejectionOf(sdkClient(running).executeStatement(STATEMENT));

    expect([ours.name, ours.message]).toEqual(['SomeNewException', 'new']);
    expect([ours.name, ours.message]).toEqual([sdk.name, sdk.message]);
  });

  it('retries a 5xx answer whose body is not JSON, then reports its status', async () => {
    const running = await serve(() => ({ status: 502, rawBody: '<html>Bad Gateway</html>' }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect(error.name).toBe('UnknownError');
    expect(error.message).toBe('HTTP 502: <html>Bad Gateway</html>');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 502, attempts: 3 });
    expect(running.calls).toHaveLength(3);
  });

  it('refuses a success whose body is not a JSON object, without retrying', async () => {
    const running = await serve(() => ({ status: 200, rawBody: '[1, 2]' }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect(error.name).toBe('DeserializationError');
    expect(running.calls).toHaveLength(1);
  });

  it('reads a hostile error body as data', async () => {
    const running = await serve(() => ({
      status: 400,
      rawBody: '{"__proto__":{"polluted":true},"code":"BadRequestException","message":"x\\u0000y"}',
    }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect([error.name, error.message]).toEqual(['BadRequestException', 'x\u0000y']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(error.polluted).toBeUndefined();
  });
});

describe('the Data API client’s retries', () => {
  it('waits for Aurora to resume: DatabaseResumingException is retried beyond the 3 attempts', async () => {
    const running = await serve((index) => (index < 4 ? resumingAnswer : selectOneAnswer));

    const result = await ourClient(running).executeStatement(STATEMENT);

    expect(result.records).toEqual([[{ longValue: 1 }]]);
    expect(running.calls).toHaveLength(5);
    expect(result.$metadata.attempts).toBe(5);
    // Every attempt is the same signed request.
    expect(new Set(running.calls.map((c) => JSON.stringify(c.body))).size).toBe(1);
  });

  it('backs off between resume retries, doubling up to the cap, with jitter', async () => {
    const running = await serve((index) => (index < 4 ? resumingAnswer : selectOneAnswer));
    const client = ourClient(running, { random: () => 1, resumeRetry: { baseDelayMs: 10, maxDelayMs: 30 } });

    const result = await client.executeStatement(STATEMENT);

    // 10, 20, 30, 30 (random 1: the whole cap)
    expect(result.$metadata.totalRetryDelay).toBe(90);
  });

  it('gives up with DatabaseResumingException once resuming outlasts maxElapsedMs', async () => {
    const running = await serve(() => resumingAnswer);
    // Each look at the clock finds it 300 ms later (a slow answer each time).
    let clock = 0;
    const client = ourClient(running, {
      now: () => (clock += 300),
      resumeRetry: { baseDelayMs: 2, maxDelayMs: 4, maxElapsedMs: 1_000 },
    });

    const error = await rejectionOf(client.executeStatement(STATEMENT));

    expect(error.name).toBe('DatabaseResumingException');
    expect(isDatabaseResuming(error)).toBe(true);
    expect(isDatabaseUnavailable(error)).toBe(true);
    // Retried at 300, 600 and 900 ms after the start; the next would start after 1,000 ms.
    expect(running.calls).toHaveLength(4);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 4 });
  });

  it.each([
    ['503 ServiceUnavailableError', errorAnswer(503, 'ServiceUnavailableError')],
    ['500 InternalServerErrorException', errorAnswer(500, 'InternalServerErrorException')],
    ['429 throttling', errorAnswer(429, 'ThrottlingException', 'Rate exceeded')],
    ['a cut connection', 'cut' as const],
  ])('retries %s, then succeeds', async (_case, failure) => {
    const running = await serve((index) => (index === 0 ? failure : selectOneAnswer));

    const result = await ourClient(running).executeStatement(STATEMENT);

    expect(result.records).toEqual([[{ longValue: 1 }]]);
    expect(running.calls).toHaveLength(2);
    expect(result.$metadata.attempts).toBe(2);
  });

  it('gives up after 3 attempts, with an error the API answers 503 for', async () => {
    const running = await serve(() => errorAnswer(503, 'ServiceUnavailableError'));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.$fault).toBe('server');
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(running.calls).toHaveLength(3);
  });

  it('answers a transaction the service lost (failover, resume, idle limit) as the database unavailable', async () => {
    const running = await serve(() => errorAnswer(400, 'TransactionNotFoundException'));
    const client = ourClient(running);

    const statement = await rejectionOf(client.executeStatement({ ...STATEMENT, transactionId: 'tx-1' }));
    const commit = await rejectionOf(client.commitTransaction({ ...ARNS, transactionId: 'tx-1' }));

    for (const error of [statement, commit]) {
      expect(error.name).toBe('TransactionNotFoundException');
      expect(isDatabaseUnavailable(error)).toBe(true);
    }
    expect(running.calls).toHaveLength(2);
  });

  it('does not call a commit lost after a retry unavailable: the first attempt may have committed', async () => {
    // The first CommitTransaction's answer is cut; the retry finds the transaction gone, which is
    // what the service says of one it has just committed. Trying the work again could store it twice.
    const running = await serve((index) =>
      index === 0 ? 'cut' : errorAnswer(400, 'TransactionNotFoundException'),
    );

    const error = await rejectionOf(ourClient(running).commitTransaction({ ...ARNS, transactionId: 'tx-1' }));

    expect(error.name).toBe('CommitOutcomeUnknown');
    expect(error.message).toMatch(/may have been committed/);
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect((error.$metadata as { attempts?: number }).attempts).toBe(2);
    expect(running.calls).toHaveLength(2);
  });

  it('gives up on a connection cut every time with a socket error code', async () => {
    const running = await serve(() => 'cut');

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toMatch(/^Data API request failed: /);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(running.calls).toHaveLength(3);
  });

  it('gives up on a refused connection as well', async () => {
    const running = await serve(() => selectOneAnswer);
    const client = ourClient(running);
    await running.close();
    server = undefined;

    const error = await rejectionOf(client.executeStatement(STATEMENT));

    expect(error.code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('times a request out and retries it', async () => {
    const running = await serve(async (index) => {
      if (index === 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
      return selectOneAnswer;
    });

    const result = await ourClient(running, { requestTimeoutMs: 100 }).executeStatement(STATEMENT);

    expect(result.records).toEqual([[{ longValue: 1 }]]);
    expect(running.calls).toHaveLength(2);
  });

  it('reports a request that always times out as TimeoutError / ETIMEDOUT', async () => {
    const running = await serve(
      () => new Promise<DataApiAnswer>((resolve) => setTimeout(() => resolve(selectOneAnswer), 2_000)),
    );

    const error = await rejectionOf(ourClient(running, { requestTimeoutMs: 50 }).executeStatement(STATEMENT));

    expect([error.name, error.code]).toEqual(['TimeoutError', 'ETIMEDOUT']);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(running.calls).toHaveLength(3);
  });

  it('spends a retry capacity shared by all calls, as the SDK does, so a failing service is not hammered', async () => {
    const running = await serve(() => errorAnswer(503, 'ServiceUnavailableError'));
    const client = ourClient(running);

    for (let i = 0; i < 20; i++) await rejectionOf(client.executeStatement(STATEMENT));

    // 500 tokens, 14 a retry: 17 calls retry twice, the 18th once, then none.
    expect(running.calls).toHaveLength(17 * 3 + 2 + 1 + 1);
  });
});

describe('defaultEndpoint', () => {
  it('is the regional endpoint unless the SDK’s endpoint settings say otherwise', () => {
    expect(defaultEndpoint('eu-west-1', {})).toBe('https://rds-data.eu-west-1.amazonaws.com');
    expect(defaultEndpoint('cn-north-1', {})).toBe('https://rds-data.cn-north-1.amazonaws.com.cn');
    expect(defaultEndpoint('eu-west-1', { AWS_ENDPOINT_URL: 'http://all' })).toBe('http://all');
    expect(
      defaultEndpoint('eu-west-1', {
        AWS_ENDPOINT_URL: 'http://all',
        AWS_ENDPOINT_URL_RDS_DATA: 'http://data',
      }),
    ).toBe('http://data');
    expect(
      defaultEndpoint('eu-west-1', {
        AWS_ENDPOINT_URL_RDS_DATA: 'http://data',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
    ).toBe('https://rds-data.eu-west-1.amazonaws.com');
  });
});

describe('the Data API client on unusual answers', () => {
  it('surfaces a statement timeout with the connection it ran on, as the SDK does, without retrying', async () => {
    const running = await serve(() => ({
      status: 400,
      errorType: 'StatementTimeoutException',
      body: { message: 'The statement ran past the 45 s limit', dbConnectionId: 4242 },
    }));

    const ours = await rejectionOf(ourClient(running).executeStatement(STATEMENT));
    const sdk = await rejectionOf(sdkClient(running).executeStatement(STATEMENT));

    expect([ours.name, ours.message, ours.dbConnectionId]).toEqual([
      'StatementTimeoutException',
      'The statement ran past the 45 s limit',
      4242,
    ]);
    expect([ours.name, ours.message, ours.dbConnectionId]).toEqual([
      sdk.name,
      sdk.message,
      sdk.dbConnectionId,
    ]);
    expect(running.calls).toHaveLength(2);
  });

  it('gives an error without dbConnectionId when the service sends none', async () => {
    const running = await serve(() => errorAnswer(400, 'BadRequestException', 'syntax error'));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect([error.name, error.dbConnectionId]).toEqual(['BadRequestException', undefined]);
  });

  it('returns JSON-formatted records (formatRecordsAs: JSON) as the SDK does', async () => {
    const running = await serve(() => ({
      status: 200,
      body: { formattedRecords: '[{"one":1,"name":"é\\u0000"}]', numberOfRecordsUpdated: 0 },
    }));
    const input: ExecuteStatementInput = { ...ARNS, sql: 'select 1 as one', formatRecordsAs: 'JSON' };

    const ours = await ourClient(running).executeStatement(input);
    const sdk = await sdkClient(running).executeStatement(input);

    expect(withoutMetadata(ours)).toEqual({
      formattedRecords: '[{"one":1,"name":"é\\u0000"}]',
      numberOfRecordsUpdated: 0,
    });
    expect(withoutMetadata(ours)).toEqual(withoutMetadata(sdk));
    expect(running.calls[0]?.body.formatRecordsAs).toBe('JSON');
  });

  it('reads an empty success answer as a result with nothing in it', async () => {
    const running = await serve(() => ({ status: 200, rawBody: '' }));
    const client = ourClient(running);

    const executed = await client.executeStatement(STATEMENT);
    const begun = await client.beginTransaction({ ...ARNS });
    const committed = await client.commitTransaction({ ...ARNS, transactionId: 'tx-1' });

    expect(executed).toEqual({
      $metadata: { httpStatusCode: 200, requestId: 'req-0', attempts: 1, totalRetryDelay: 0 },
    });
    expect(Object.keys(begun)).toEqual(['$metadata']);
    expect(Object.keys(committed)).toEqual(['$metadata']);
  });

  it('keeps to the result shape when members have the wrong types: empty rows and fields, null list items', async () => {
    const running = await serve(() => ({
      status: 200,
      body: {
        columnMetadata: [null, 'a', { name: 'n', type: 'int4', nullable: 1, isSigned: 'yes' }],
        records: [
          null,
          [
            null,
            7,
            { unknownValue: 1 },
            { arrayValue: null },
            { arrayValue: { booleanValues: [true, 'yes', null] } },
            { arrayValue: { longValues: [1, '2'] } },
            { arrayValue: { doubleValues: ['NaN', 'x', 0.5] } },
            { arrayValue: { stringValues: ['a', 3] } },
            { arrayValue: { arrayValues: [5, { longValues: [1] }, null] } },
            { arrayValue: { unknownValues: [1] } },
          ],
        ],
        numberOfRecordsUpdated: '3',
        generatedFields: ['x', { longValue: 9 }],
        formattedRecords: 12,
      },
    }));

    const result = await ourClient(running).executeStatement(STATEMENT);

    expect(withoutMetadata(result)).toEqual({
      columnMetadata: [{}, {}, { name: 'n', nullable: 1 }],
      records: [
        [],
        [
          {},
          {},
          {},
          {},
          { arrayValue: { booleanValues: [true, null, null] } },
          { arrayValue: { longValues: [1, null] } },
          { arrayValue: { doubleValues: [Number.NaN, null, 0.5] } },
          { arrayValue: { stringValues: ['a', null] } },
          { arrayValue: { arrayValues: [null, { longValues: [1] }, null] } },
          { arrayValue: {} },
        ],
      ],
      generatedFields: [{}, { longValue: 9 }],
    });
  });

  it('does not take a transaction id or status of another type', async () => {
    const running = await serve(() => ({
      status: 200,
      body: { transactionId: 12, transactionStatus: { committed: true } },
    }));
    const client = ourClient(running);

    expect(Object.keys(await client.beginTransaction({ ...ARNS }))).toEqual(['$metadata']);
    expect(Object.keys(await client.rollbackTransaction({ ...ARNS, transactionId: 'tx' }))).toEqual([
      '$metadata',
    ]);
  });

  it('refuses a truncated JSON answer with the start of what came, without retrying', async () => {
    const running = await serve(() => ({ status: 200, rawBody: '{"records":[[{"longValue":1}' }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect(error.name).toBe('DeserializationError');
    expect(error.message).toBe(
      'The Data API answered 200 with a body that is not a JSON object: {"records":[[{"longValue":1}',
    );
    expect(error.$metadata).toMatchObject({ httpStatusCode: 200, requestId: 'req-0', attempts: 1 });
    expect(running.calls).toHaveLength(1);
  });

  it('retries a load balancer’s 504 without a request id, then reports its status and text', async () => {
    const running = await serve(() => ({
      status: 504,
      rawBody: 'upstream request timeout',
      withoutRequestId: true,
    }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect([error.name, error.message, error.$fault]).toEqual([
      'UnknownError',
      'HTTP 504: upstream request timeout',
      'server',
    ]);
    expect(error.$metadata).toEqual({
      httpStatusCode: 504,
      requestId: undefined,
      attempts: 3,
      totalRetryDelay: 0,
    });
    expect(running.calls).toHaveLength(3);
  });

  it('names an error whose JSON body has neither type nor message UnknownError', async () => {
    const running = await serve(() => ({ status: 400, rawBody: '{}' }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect([error.name, error.message]).toEqual(['UnknownError', 'UnknownError']);
    expect(running.calls).toHaveLength(1);
  });

  it('gives a numeric error message as text', async () => {
    const running = await serve(() => ({
      status: 400,
      rawBody: '{"code":"BadRequestException","message":404}',
    }));

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect([error.name, error.message]).toEqual(['BadRequestException', '404']);
  });
});

describe('the Data API client’s backoff', () => {
  it('backs off with full jitter from 50 ms on 5xx and from 1 s on throttling, doubling each retry', async () => {
    const unavailable = await serve(() => errorAnswer(503, 'ServiceUnavailableError'));
    const half = ourClient(unavailable, { random: () => 0.5 });
    const error503 = await rejectionOf(half.executeStatement(STATEMENT));
    await unavailable.close();
    const throttled = await serve(() => errorAnswer(400, 'ThrottlingException', 'Rate exceeded'));
    const tiny = ourClient(throttled, { random: () => 0.002 });

    const throttling = await rejectionOf(tiny.executeStatement(STATEMENT));

    // 0.5 × 50 + 0.5 × 100 ms; 0.002 × 1,000 + 0.002 × 2,000 ms
    expect(error503.$metadata).toMatchObject({ attempts: 3, totalRetryDelay: 75 });
    expect(throttling.name).toBe('ThrottlingException');
    expect(throttling.message).toBe('Rate exceeded');
    expect(throttling.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 3, totalRetryDelay: 6 });
  });

  it('takes a fetch failure without a socket error code as a reset, retries it, then gives up', async () => {
    let calls = 0;
    const client = createDataApiClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: () => TEST_CREDENTIALS,
      random: () => 0,
      fetch: async () => {
        calls += 1;
        throw new TypeError('terminated');
      },
    });

    const error = await rejectionOf(client.executeStatement(STATEMENT));

    expect([error.name, error.code, error.message]).toEqual([
      'Error',
      'ECONNRESET',
      'Data API request failed: terminated',
    ]);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(calls).toBe(3);
  });

  it('retries once Aurora has resumed and stops at a statement error, counting every attempt', async () => {
    const running = await serve((index) =>
      index === 0 ? resumingAnswer : errorAnswer(400, 'BadRequestException', 'relation "x" does not exist'),
    );

    const error = await rejectionOf(ourClient(running).executeStatement(STATEMENT));

    expect([error.name, error.message]).toEqual(['BadRequestException', 'relation "x" does not exist']);
    expect(error.$metadata).toMatchObject({ attempts: 2 });
    expect(running.calls).toHaveLength(2);
  });
});
