import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { elasticacheIamToken, IAM_TOKEN_TTL_SECONDS, type IamTokenInput } from './elasticache-iam';

const credentials = async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
});

describe('elasticacheIamToken', () => {
  it('presigns a connect request for the user on the serverless cache, valid for 15 minutes', async () => {
    // Prepare
    const now = new Date('2026-11-25T12:00:00Z');

    // Act
    const token = await elasticacheIamToken({
      cacheName: 'Parley-Prod',
      user: 'parley-api',
      region: 'eu-west-1',
      credentials,
      now,
    });

    // Assess
    expect(token.startsWith('parley-prod/?')).toBe(true);
    const query = new URLSearchParams(token.slice(token.indexOf('?') + 1));
    expect(query.get('Action')).toBe('connect');
    expect(query.get('User')).toBe('parley-api');
    expect(query.get('ResourceType')).toBe('ServerlessCache');
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(query.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261125/eu-west-1/elasticache/aws4_request');
    expect(query.get('X-Amz-Date')).toBe('20261125T120000Z');
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toContain('https://');
  });

  it('signs differently for another user, and carries the session token of temporary credentials', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const a = await elasticacheIamToken({ cacheName: 'c', user: 'a', region: 'eu-west-1', credentials, now });
    const b = await elasticacheIamToken({ cacheName: 'c', user: 'b', region: 'eu-west-1', credentials, now });
    expect(new URLSearchParams(a.split('?')[1]).get('X-Amz-Signature')).not.toBe(
      new URLSearchParams(b.split('?')[1]).get('X-Amz-Signature'),
    );
    const temporary = await elasticacheIamToken({
      cacheName: 'c',
      user: 'a',
      region: 'eu-west-1',
      credentials: async () => ({ ...(await credentials()), sessionToken: 'SESSION' }),
      now,
    });
    expect(new URLSearchParams(temporary.split('?')[1]).get('X-Amz-Security-Token')).toBe('SESSION');
  });
});

describe('elasticacheIamToken inputs', () => {
  const now = new Date('2026-11-25T12:00:00Z');

  it('carries no security token for an empty session token, and scopes the credential to the region', async () => {
    const token = await elasticacheIamToken({
      cacheName: 'parley',
      user: 'parley-api',
      region: 'cn-north-1',
      credentials: async () => ({ ...(await credentials()), sessionToken: '' }),
      now,
    });

    const query = new URLSearchParams(token.split('?')[1]);
    expect(query.has('X-Amz-Security-Token')).toBe(false);
    expect(query.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261125/cn-north-1/elasticache/aws4_request');
  });

  it('encodes a user with reserved characters so the token stays one query string', async () => {
    const token = await elasticacheIamToken({
      cacheName: 'parley',
      user: 'a&User=admin\u0000',
      region: 'eu-west-1',
      credentials,
      now,
    });

    const query = new URLSearchParams(token.split('?')[1]);
    expect(query.getAll('User')).toEqual(['a&User=admin\u0000']);
    expect(token).toContain('User=a%26User%3Dadmin%00&');
  });

  it('fails with the credential provider’s error when there are no credentials', async () => {
    const missing = new Error('AWS_ACCESS_KEY_ID is not set');

    await expect(
      elasticacheIamToken({
        cacheName: 'parley',
        user: 'parley-api',
        region: 'eu-west-1',
        credentials: () => Promise.reject(missing),
        now,
      }),
    ).rejects.toBe(missing);
  });
});

describe('elasticacheIamToken against the SDK signer', () => {
  /** The token as the previous implementation made it, with @smithy/signature-v4's presign. */
  async function sdkToken(input: IamTokenInput): Promise<string> {
    const signer = new SignatureV4({
      service: 'elasticache',
      region: input.region,
      credentials: input.credentials,
      sha256: Sha256,
    });
    const host = input.cacheName.toLowerCase();
    const signed = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: host,
        path: '/',
        headers: { host },
        query: { Action: 'connect', User: input.user, ResourceType: 'ServerlessCache' },
      },
      { expiresIn: IAM_TOKEN_TTL_SECONDS, signingDate: input.now },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
      .join('&');
    return `${host}/?${query}`;
  }

  it.each([
    ['long-term credentials', credentials, 'parley-api'],
    [
      'a session token',
      async () => ({ ...(await credentials()), sessionToken: 'IQoJb3JpZ2luX2VjE/+=session' }),
      'parley-api',
    ],
    ['a user and cache name needing escapes', credentials, "app user!*'()~é"],
  ])('makes the same token byte for byte, with %s', async (_name, creds, user) => {
    const input: IamTokenInput = {
      cacheName: 'Parley-Prod',
      user,
      region: 'eu-west-1',
      credentials: creds,
      now: new Date('2026-11-25T12:34:56.789Z'),
    };

    expect(await elasticacheIamToken(input)).toBe(await sdkToken(input));
  });
});
