import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';

import {
  ADMIN_OPERATIONS,
  authoriseCall,
  newAdminCredentials,
  PUBLIC_OPERATIONS,
  readAdminCredentials,
  saveAdminCredentials,
} from './cognito-access';

const admin = newAdminCredentials();
const now = new Date('2026-12-01T08:00:00Z');
const body = new TextEncoder().encode('{"UserPoolId":"local_x","Username":"a@example.test"}');

/** A request as the AWS SDK sends it, signed with `credentials` at `at`. */
async function signedRequest(
  op: string,
  credentials = admin,
  at = now,
  payload: Uint8Array = body,
  service = 'cognito-idp',
): Promise<IncomingMessage> {
  const signer = new SignatureV4({
    service,
    region: 'local',
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1:9229',
      path: '/',
      query: {},
      headers: {
        host: '127.0.0.1:9229',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${op}`,
      },
      body: payload,
    },
    { signingDate: at },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', url: '/', headers } as unknown as IncomingMessage;
}

const unsigned = (op: string) =>
  ({
    method: 'POST',
    url: '/',
    headers: { host: '127.0.0.1:9229', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
  }) as unknown as IncomingMessage;

const refusal = async (promise: Promise<void>) => {
  const error = (await promise.catch((e: unknown) => e)) as { type?: string; message?: string } | undefined;
  return error ? { type: error.type, message: error.message } : undefined;
};

describe('authoriseCall', () => {
  it.each([...PUBLIC_OPERATIONS])('lets anyone make the user call %s, unsigned', async (op) => {
    await expect(authoriseCall(op, unsigned(op), body, admin, now)).resolves.toBeUndefined();
  });

  it.each([...ADMIN_OPERATIONS])('lets %s through signed with the local admin credentials', async (op) => {
    await expect(authoriseCall(op, await signedRequest(op), body, admin, now)).resolves.toBeUndefined();
  });

  // UpdateUserAttributes: on AWS the web app's client may write `locale` alone (docs/security.md);
  // the local pool lets nobody write attributes.
  it.each([
    ...ADMIN_OPERATIONS,
    'CreateUserPool',
    'AdminDisableUser',
    'AdminConfirmSignUp',
    'UpdateUserAttributes',
  ])('refuses %s unsigned', async (op) => {
    expect(await refusal(authoriseCall(op, unsigned(op), body, admin, now))).toEqual({
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('refuses sign-up as a pool with admin-only creation does, signed or not', async () => {
    const expected = {
      type: 'NotAuthorizedException',
      message: 'SignUp is not permitted for this user pool',
    };
    expect(await refusal(authoriseCall('SignUp', unsigned('SignUp'), body, admin, now))).toEqual(expected);
    expect(await refusal(authoriseCall('SignUp', await signedRequest('SignUp'), body, admin, now))).toEqual(
      expected,
    );
  });

  it.each(['CreateUserPool', 'DeleteUserPool', 'AdminDisableUser', 'AdminConfirmSignUp', 'ConfirmSignUp'])(
    'refuses %s even signed: the app never makes it',
    async (op) => {
      expect(await refusal(authoriseCall(op, await signedRequest(op), body, admin, now))).toEqual({
        type: 'AccessDeniedException',
        message: `User: ${admin.accessKeyId} is not authorized to perform: cognito-idp:${op}`,
      });
    },
  );

  it('refuses other credentials, another secret, a changed body and an old signature', async () => {
    const other = newAdminCredentials();
    const op = 'AdminCreateUser';
    expect((await refusal(authoriseCall(op, await signedRequest(op, other), body, admin, now)))?.type).toBe(
      'UnrecognizedClientException',
    );
    const wrongSecret = { accessKeyId: admin.accessKeyId, secretAccessKey: other.secretAccessKey };
    expect(
      (await refusal(authoriseCall(op, await signedRequest(op, wrongSecret), body, admin, now)))?.type,
    ).toBe('InvalidSignatureException');
    const changed = new TextEncoder().encode('{"UserPoolId":"local_x","Username":"root@example.test"}');
    expect((await refusal(authoriseCall(op, await signedRequest(op), changed, admin, now)))?.type).toBe(
      'InvalidSignatureException',
    );
    const old = new Date(now.getTime() - 6 * 60_000);
    expect(await refusal(authoriseCall(op, await signedRequest(op, admin, old), body, admin, now))).toEqual({
      type: 'InvalidSignatureException',
      message: 'Signature expired.',
    });
  });

  it('refuses a signature for another operation (the target header is signed)', async () => {
    const request = await signedRequest('AdminGetUser');
    request.headers['x-amz-target'] = 'AWSCognitoIdentityProviderService.AdminCreateUser';
    expect((await refusal(authoriseCall('AdminCreateUser', request, body, admin, now)))?.type).toBe(
      'InvalidSignatureException',
    );
  });
});

describe('authoriseCall with a forged or broken signature', () => {
  const op = 'AdminCreateUser';
  const incomplete = {
    type: 'IncompleteSignatureException',
    message: 'The request signature is incomplete.',
  };
  const mismatch = {
    type: 'InvalidSignatureException',
    message: 'The request signature we calculated does not match the signature you provided.',
  };

  /** A correctly signed request, then changed by `change`. */
  async function tampered(change: (headers: Record<string, string>) => void): Promise<IncomingMessage> {
    const request = await signedRequest(op);
    change(request.headers as Record<string, string>);
    return request;
  }

  it.each([
    ['another scheme', 'Bearer abc.def.ghi'],
    [
      'no signature',
      `AWS4-HMAC-SHA256 Credential=${admin.accessKeyId}/20261201/local/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date`,
    ],
    [
      'a short signature',
      `AWS4-HMAC-SHA256 Credential=${admin.accessKeyId}/20261201/local/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123`,
    ],
  ])('answers an Authorization header with %s as malformed', async (_what, authorization) => {
    const request = await tampered((h) => {
      h.authorization = authorization;
    });
    expect(await refusal(authoriseCall(op, request, body, admin, now))).toEqual({
      type: 'IncompleteSignatureException',
      message: 'The request signature is malformed.',
    });
  });

  it('answers a key id with a NUL byte as an unknown client, not as the local admin', async () => {
    const request = await tampered((h) => {
      h.authorization = String(h.authorization).replace(admin.accessKeyId, `${admin.accessKeyId}\u0000`);
    });
    expect(await refusal(authoriseCall(op, request, body, admin, now))).toEqual({
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('refuses a signature made for another AWS service', async () => {
    const request = await signedRequest(op, admin, now, body, 'sts');
    expect(await refusal(authoriseCall(op, request, body, admin, now))).toEqual(incomplete);
  });

  it.each([
    ['no X-Amz-Date header', (h: Record<string, string>) => delete h['x-amz-date']],
    ['an X-Amz-Date that is no date', (h: Record<string, string>) => (h['x-amz-date'] = 'yesterday')],
    [
      'an impossible X-Amz-Date (month 13)',
      (h: Record<string, string>) => (h['x-amz-date'] = '20261301T080000Z'),
    ],
    [
      'an X-Amz-Date of another day than the credential scope',
      (h: Record<string, string>) => (h['x-amz-date'] = '20261202T080000Z'),
    ],
    [
      'the host left unsigned',
      (h: Record<string, string>) =>
        (h.authorization = String(h.authorization)
          .replace('SignedHeaders=', 'SignedHeaders=x')
          .replace(/SignedHeaders=x[^,]*/, 'SignedHeaders=x-amz-date')),
    ],
    [
      'the date left unsigned',
      (h: Record<string, string>) =>
        (h.authorization = String(h.authorization).replace(/SignedHeaders=[^,]*/, 'SignedHeaders=host')),
    ],
  ])('answers a signature with %s as incomplete', async (_what, change) => {
    expect(await refusal(authoriseCall(op, await tampered(change), body, admin, now))).toEqual(incomplete);
  });

  it('refuses a signature that claims to cover a header the request lacks', async () => {
    const request = await tampered((h) => {
      h.authorization = String(h.authorization).replace(
        /SignedHeaders=([^,]*)/,
        'SignedHeaders=$1;x-parley-extra',
      );
    });
    expect(await refusal(authoriseCall(op, request, body, admin, now))).toEqual(mismatch);
  });

  it('refuses the same signature with its signed headers listed in another order', async () => {
    const request = await tampered((h) => {
      h.authorization = String(h.authorization).replace(
        /SignedHeaders=([^,]*)/,
        (_m, list: string) => `SignedHeaders=${list.split(';').reverse().join(';')}`,
      );
    });
    expect(await refusal(authoriseCall(op, request, body, admin, now))).toEqual(mismatch);
  });
});

describe('the admin credentials file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'parley-admin-credentials-'));

  it('keeps the credentials for the users command, readable by their owner only', () => {
    const dataDir = dir();
    try {
      const credentials = newAdminCredentials();
      saveAdminCredentials(dataDir, credentials);
      expect(readAdminCredentials(dataDir)).toEqual(credentials);
      expect(statSync(join(dataDir, 'admin-credentials.json')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['no file (the local server is not running)', undefined],
    ['a file that is not JSON', 'PARLEY'],
    ['a secret that is not a string', JSON.stringify({ accessKeyId: 'PARLEYLOCALX', secretAccessKey: 42 })],
    ['no key id', JSON.stringify({ secretAccessKey: 'x' })],
    ['a prototype key instead of credentials', '{"__proto__":{"accessKeyId":"a","secretAccessKey":"b"}}'],
  ])('reads nothing from %s', (_what, content) => {
    const dataDir = dir();
    try {
      if (content !== undefined) writeFileSync(join(dataDir, 'admin-credentials.json'), content);
      expect(readAdminCredentials(dataDir)).toBeUndefined();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
