import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { Jwks } from 'aws-jwt-verify/jwk';

/**
 * A token issuer for tests: a real RSA key pair, its JWKS, and access tokens shaped like
 * Cognito's, signed for real, so the verifier under test checks real signatures.
 */
export interface TestIssuer {
  readonly issuer: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly jwks: Jwks;
  accessToken(claims?: Record<string, unknown>, options?: { key?: KeyObject; kid?: string }): string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function createTestIssuer(
  endpoint = 'http://127.0.0.1:1',
  userPoolId = 'local_TestPool1',
): TestIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key';
  const jwk = publicKey.export({ format: 'jwk' });
  const clientId = 'testclient' + randomUUID().slice(0, 8);
  const issuer = `${endpoint}/${userPoolId}`;
  return {
    issuer,
    userPoolId,
    clientId,
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] } as unknown as Jwks,
    accessToken(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        sub: randomUUID(),
        iss: issuer,
        client_id: clientId,
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        auth_time: now,
        iat: now,
        exp: now + 3600,
        jti: randomUUID(),
        username: 'someone@example.test',
        ...claims,
      };
      const header = { alg: 'RS256', kid: options.kid ?? kid, typ: 'JWT' };
      const signingInput = `${b64(header)}.${b64(payload)}`;
      const signature = createSign('RSA-SHA256')
        .update(signingInput)
        .sign(options.key ?? privateKey);
      return `${signingInput}.${signature.toString('base64url')}`;
    },
  };
}
