import type { IncomingMessage } from 'node:http';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';

import { ADMIN_OPERATIONS, authoriseCall, newAdminCredentials, PUBLIC_OPERATIONS } from './cognito-access';

const admin = newAdminCredentials();
const now = new Date('2026-12-01T08:00:00Z');
const body = new TextEncoder().encode('{"UserPoolId":"local_x","Username":"a@example.test"}');

/** A request as the AWS SDK sends it, signed with `credentials` at `at`. */
async function signedRequest(
  op: string,
  credentials = admin,
  at = now,
  payload: Uint8Array = body,
): Promise<IncomingMessage> {
  const signer = new SignatureV4({
    service: 'cognito-idp',
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

  it.each([...ADMIN_OPERATIONS, 'CreateUserPool', 'AdminDisableUser', 'AdminConfirmSignUp'])(
    'refuses %s unsigned',
    async (op) => {
      expect(await refusal(authoriseCall(op, unsigned(op), body, admin, now))).toEqual({
        type: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
      });
    },
  );

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
