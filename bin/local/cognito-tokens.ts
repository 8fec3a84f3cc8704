import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { compactVerify, decodeJwt as decodePayload, SignJWT } from 'jose';

import { CognitoApiError, type Json } from './cognito-api';

/**
 * The emulator's tokens, checked and amended as Cognito would issue them: the emulator decodes
 * access tokens without verifying them, ignores PreTokenGeneration's group override, and has no
 * global sign-out.
 */
export interface TokenOptions {
  /** `${endpoint}/${userPoolId}`: the `iss` of every token the pool issues. */
  readonly issuer: string;
  /** Where global sign-outs are kept across restarts. */
  readonly signOutFile: string;
}

export type Tokens = ReturnType<typeof emulatorTokens>;

/** The payload of a JWT, unverified; null when it is not one. */
export function decodeJwt(token: string): Json | null {
  try {
    return decodePayload(token);
  } catch {
    return null;
  }
}

export function emulatorTokens({ issuer, signOutFile }: TokenOptions) {
  const keys = loadEmulatorKeys();
  const signedOut: Record<string, number> = readSignOuts(signOutFile);

  /** The payload of a token the emulator signed; null for anything else. */
  async function verify(token: unknown): Promise<Json | null> {
    if (typeof token !== 'string') return null;
    try {
      // Signature only: each caller checks the claims, to answer with Cognito's own messages.
      await compactVerify(token, keys.publicKey, { algorithms: ['RS256'] });
    } catch {
      return null;
    }
    return decodeJwt(token);
  }

  function isSignedOut(sub: unknown, iat: unknown): boolean {
    if (typeof sub !== 'string' || typeof iat !== 'number') return false;
    const at = signedOut[sub];
    // iat has second precision: a token from the sign-out's own second counts as revoked.
    return at !== undefined && iat * 1000 <= at;
  }

  /** Checks an access token as Cognito does. */
  async function verifyAccessToken(token: unknown): Promise<Json> {
    const claims = await verify(token);
    if (!claims || claims.token_use !== 'access' || claims.iss !== issuer) {
      throw new CognitoApiError('NotAuthorizedException', 'Invalid Access Token');
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      throw new CognitoApiError('NotAuthorizedException', 'Access Token has expired');
    }
    if (isSignedOut(claims.sub, claims.iat)) {
      throw new CognitoApiError('NotAuthorizedException', 'Access Token has been revoked');
    }
    return claims;
  }

  /** The token with `cognito:groups` set to `groups`, re-signed with the emulator's key. */
  async function withGroups(token: string, groups: string[]): Promise<string> {
    const claims = decodeJwt(token);
    if (!claims) return token;
    const current = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
    if (JSON.stringify(current) === JSON.stringify(groups)) return token;
    if (groups.length > 0) claims['cognito:groups'] = groups;
    else delete claims['cognito:groups'];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' })
      .sign(keys.privateKey);
  }

  function recordSignOut(sub: string): void {
    signedOut[sub] = Date.now();
    writeFileSync(signOutFile, JSON.stringify(signedOut, null, 2));
  }

  return { verify, verifyAccessToken, isSignedOut, withGroups, recordSignOut };
}

function loadEmulatorKeys(): { readonly publicKey: KeyObject; readonly privateKey: KeyObject } {
  // The emulator signs with a key pair shipped in its package; we verify with, and re-sign with, it.
  const require = createRequire(import.meta.url);
  const pub = require('cognito-local/lib/keys/cognitoLocal.public.json') as { jwk: Record<string, string> };
  const priv = require('cognito-local/lib/keys/cognitoLocal.private.json') as { pem: string };
  return {
    publicKey: createPublicKey({ key: pub.jwk, format: 'jwk' }),
    privateKey: createPrivateKey(priv.pem),
  };
}

function readSignOuts(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}
