import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { decodeJwt, emulatorTokens } from './cognito-tokens';

const issuer = 'http://127.0.0.1:9229/local_parley';
const emulatorKey = createPrivateKey(
  (createRequire(import.meta.url)('cognito-local/lib/keys/cognitoLocal.private.json') as { pem: string }).pem,
);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token as the emulator signs it (its key pair ships in its package). */
function token(claims: Record<string, unknown>, key = emulatorKey): Promise<string> {
  return new SignJWT({
    token_use: 'access',
    iss: issuer,
    sub: 'sub-1',
    username: 'sub-1',
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' })
    .sign(key);
}

const dirs: string[] = [];
function tokens() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tokens-'));
  dirs.push(dir);
  const signOutFile = join(dir, 'signed-out.json');
  return { signOutFile, tokens: emulatorTokens({ issuer, signOutFile }) };
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const refusal = async (promise: Promise<unknown>) => {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { type?: string; message?: string } | undefined;
  return error ? { type: error.type, message: error.message } : undefined;
};

describe('the access token checks the emulator skips', () => {
  it('accepts an access token the emulator signed for this pool', async () => {
    const { tokens: t } = tokens();
    await expect(t.verifyAccessToken(await token({}))).resolves.toMatchObject({ sub: 'sub-1' });
  });

  it.each([
    ['no token at all', async () => undefined],
    ['a number', async () => 42],
    ['a string that is no JWT', async () => 'not.a.jwt'],
    [
      'a token signed with another key',
      async () => token({}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    ],
    ['an ID token', async () => token({ token_use: 'id' })],
    ['a token of another pool', async () => token({ iss: 'http://127.0.0.1:9229/local_other' })],
  ])('answers %s with "Invalid Access Token"', async (_what, make) => {
    const { tokens: t } = tokens();
    expect(await refusal(t.verifyAccessToken(await make()))).toEqual({
      type: 'NotAuthorizedException',
      message: 'Invalid Access Token',
    });
  });

  it.each([
    ['an expired token', { exp: nowSeconds() - 1 }],
    ['a token without an expiry', { exp: undefined }],
  ])('answers %s with "Access Token has expired"', async (_what, claims) => {
    const { tokens: t } = tokens();
    expect(await refusal(t.verifyAccessToken(await token(claims)))).toEqual({
      type: 'NotAuthorizedException',
      message: 'Access Token has expired',
    });
  });

  it('revokes the tokens issued up to a global sign-out (same second included), across restarts', async () => {
    const { tokens: t, signOutFile } = tokens();
    const before = await token({ iat: nowSeconds() - 10 });
    t.recordSignOut('sub-1');
    const revoked = { type: 'NotAuthorizedException', message: 'Access Token has been revoked' };
    expect(await refusal(t.verifyAccessToken(before))).toEqual(revoked);
    expect(await refusal(t.verifyAccessToken(await token({})))).toEqual(revoked);
    // Another user's tokens are untouched, and a later sign-in is valid again.
    await expect(t.verifyAccessToken(await token({ sub: 'sub-2' }))).resolves.toBeDefined();
    await expect(t.verifyAccessToken(await token({ iat: nowSeconds() + 2 }))).resolves.toBeDefined();

    const restarted = emulatorTokens({ issuer, signOutFile });
    expect(await refusal(restarted.verifyAccessToken(before))).toEqual(revoked);
    expect(JSON.parse(readFileSync(signOutFile, 'utf8'))).toEqual({ 'sub-1': expect.any(Number) });
  });

  it('starts with no sign-outs when the file is unreadable, and ignores claims of the wrong type', async () => {
    const { signOutFile } = tokens();
    writeFileSync(signOutFile, '{ not json');
    const t = emulatorTokens({ issuer, signOutFile });
    await expect(t.verifyAccessToken(await token({}))).resolves.toBeDefined();
    t.recordSignOut('sub-1');
    expect(t.isSignedOut('sub-1', nowSeconds())).toBe(true);
    expect(t.isSignedOut('sub-1', String(nowSeconds()))).toBe(false);
    expect(t.isSignedOut(undefined, nowSeconds())).toBe(false);
    expect(t.isSignedOut('__proto__', 0)).toBe(false);
  });
});

describe('the group override written into a token', () => {
  it('re-signs the token with the new groups, which still verifies', async () => {
    const { tokens: t } = tokens();
    const original = await token({ 'cognito:groups': ['members'] });
    const promoted = await t.withGroups(original, ['auditors']);
    expect(promoted).not.toBe(original);
    expect(await t.verifyAccessToken(promoted)).toMatchObject({ 'cognito:groups': ['auditors'] });
  });

  it('removes the claim for no groups, and leaves a token alone when nothing changes', async () => {
    const { tokens: t } = tokens();
    const original = await token({ 'cognito:groups': ['members'] });
    expect(await t.withGroups(original, ['members'])).toBe(original);
    const none = await t.withGroups(original, []);
    expect(decodeJwt(none)).not.toHaveProperty('cognito:groups');
    const withoutGroups = await token({});
    expect(await t.withGroups(withoutGroups, [])).toBe(withoutGroups);
  });

  it('hands back something that is not a JWT unchanged', async () => {
    const { tokens: t } = tokens();
    expect(await t.withGroups('opaque', ['admins'])).toBe('opaque');
    expect(decodeJwt('opaque')).toBeNull();
  });
});
