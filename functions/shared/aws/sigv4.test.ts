import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';

import { signRequest, type AwsCredentials } from './sigv4';

/** The AWS SDK's signer over the same request, for the headers ours signed. */
async function sdkAuthorization(
  headers: Record<string, string>,
  url: URL,
  body: string,
  credentials: AwsCredentials,
  region: string,
  date: Date,
): Promise<string> {
  const signer = new SignatureV4({ credentials, region, service: 'rds-data', sha256: Sha256 });
  const { authorization: _ours, ...unsigned } = headers;
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port) || undefined,
      path: url.pathname,
      query: {},
      headers: unsigned,
      body,
    },
    { signingDate: date },
  );
  return String(signed.headers.authorization);
}

const DATE = new Date('2026-12-01T10:20:30.456Z');
const KEYS: AwsCredentials = { accessKeyId: 'test-key-id', secretAccessKey: 'test/secret+key' };

describe('signRequest', () => {
  it.each([
    [
      'a session token',
      { ...KEYS, sessionToken: 'session/token==' },
      'https://rds-data.eu-west-1.amazonaws.com/Execute',
      'eu-west-1',
    ],
    ['no session token', KEYS, 'https://rds-data.us-east-1.amazonaws.com/BeginTransaction', 'us-east-1'],
    ['a port in the host', KEYS, 'http://127.0.0.1:4567/CommitTransaction', 'eu-west-1'],
  ])('signs as the AWS SDK signs, with %s', async (_case, credentials, address, region) => {
    // Prepare: a body with non-ASCII text, a NUL and a `__proto__` key (all just bytes to sign)
    const url = new URL(address);
    const body = JSON.stringify({ sql: "select 'é ✓ \u0000'", parameters: [], ['__proto__']: 1 });

    // Act
    const headers = signRequest({
      method: 'POST',
      url,
      headers: { 'Content-Type': ' application/json ' },
      body,
      credentials,
      region,
      service: 'rds-data',
      date: DATE,
    });

    // Assess
    expect(headers.authorization).toBe(await sdkAuthorization(headers, url, body, credentials, region, DATE));
    expect(headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=test-key-id/20261201/${region}/rds-data/aws4_request, `),
    );
    expect(headers).toMatchObject({
      host: url.host,
      'content-type': 'application/json',
      'x-amz-date': '20261201T102030Z',
      'x-amz-content-sha256': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(headers['x-amz-security-token']).toBe(credentials.sessionToken);
  });

  it('gives another signature for another body, key or day', async () => {
    const url = new URL('https://rds-data.eu-west-1.amazonaws.com/Execute');
    const sign = (body: string, credentials: AwsCredentials, date: Date) =>
      signRequest({
        method: 'POST',
        url,
        headers: {},
        body,
        credentials,
        region: 'eu-west-1',
        service: 'rds-data',
        date,
      }).authorization;
    const base = sign('{}', KEYS, DATE);

    expect(sign('{ }', KEYS, DATE)).not.toBe(base);
    expect(sign('{}', { ...KEYS, secretAccessKey: 'other' }, DATE)).not.toBe(base);
    expect(sign('{}', KEYS, new Date('2026-12-02T10:20:30Z'))).not.toBe(base);
    // The cached signing key follows the key and the day: back to the first gives the first.
    expect(sign('{}', KEYS, DATE)).toBe(base);
  });
});
