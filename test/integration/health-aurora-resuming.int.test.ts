import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import {
  resumingAnswer,
  selectOneAnswer,
  startDataApiTestServer,
  TEST_CREDENTIALS,
  TEST_DATA_API_CONFIG,
} from '../support/aws/data-api-test-server';

// The health function on the Data API, whose cluster is paused at zero capacity: Aurora answers
// DatabaseResumingException while it resumes (about 15 s on AWS), here until `resumed` is set.
let resumed = false;
const dataApi = await startDataApiTestServer({
  answer: () => (resumed ? selectOneAnswer : resumingAnswer),
});
setUpApiEnvironment({
  ...TEST_DATA_API_CONFIG,
  AWS_ENDPOINT_URL_RDS_DATA: dataApi.url,
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: '',
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken ?? '',
});
const { handler } = await import('../../functions/health/lambda');

afterAll(async () => {
  await dataApi.close();
});

describe('GET /api/health/ready while Aurora resumes from zero capacity', () => {
  it("answers 200 'degraded' with the database 'resuming' at once, not 503 'down' after its timeout", async () => {
    const started = performance.now();
    const response = await call(handler, { method: 'GET', path: '/api/health/ready' });
    const ms = performance.now() - started;

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'degraded', checks: { database: { status: 'resuming' } } });
    expect(response.headers['retry-after']).toBeUndefined();
    expect(ms).toBeLessThan(1_500);
    // The probe itself asked: that is what starts the resume.
    expect(dataApi.calls.length).toBeGreaterThan(0);
    resumed = true;
  });
});
