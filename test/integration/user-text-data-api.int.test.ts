import { afterAll, describe, expect, inject, it } from 'vitest';
import { setUpApiEnvironment } from '../support/api';
import { TEST_CREDENTIALS } from '../support/aws/data-api-test-server';
import { dataApiTestConfig, startDataApiOnPostgres } from '../support/data-api-on-postgres';
import { testDatabase } from '../support/database';
import { describeUserText } from '../support/user-text-suite';

// The same routes with the functions on the Data API driver, as on Aurora: a loopback Data API
// over the test database, so what is kept goes through its parameter and result encoding.
const dataApi = await startDataApiOnPostgres({ serverUrl: inject('databaseUrl') });
const issuer = setUpApiEnvironment({
  ...dataApiTestConfig(),
  AWS_ENDPOINT_URL_RDS_DATA: dataApi.server.url,
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: '',
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken ?? '',
  OFFLINE_MODEL_DELAY_MS: '0',
  CHAT_RATE_LIMIT_PER_MINUTE: '10000',
  MAX_BODY_BYTES: '65536',
});
const chat = (await import('#chat/lambda')).handler;
const conversations = (await import('#conversations/lambda')).handler;

afterAll(() => dataApi.close());

describeUserText({ issuer, chat, conversations, db: testDatabase() });

describe('the driver', () => {
  it('is the Data API: the functions read and wrote through it', () => {
    expect(dataApi.server.calls.filter((c) => c.operation === 'ExecuteStatement').length).toBeGreaterThan(50);
  });
});
