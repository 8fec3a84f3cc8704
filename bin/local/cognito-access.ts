import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

import { CognitoApiError } from './cognito-api';

/**
 * Who may call what on the local Cognito, as on AWS. Anyone (Amplify in the browser) may make the
 * calls a user makes for themself, unsigned; admin calls need a request signed (SigV4) with the
 * local server's own credentials, made afresh at every start. Signing, not the source address,
 * tells them apart: browsers come from 127.0.0.1 too. Everything else is refused: the local pool
 * admits no self sign-up and no change to its own set-up.
 */

/** The calls a signed-in (or signing-in) person makes: what Amplify and the users command send. */
export const PUBLIC_OPERATIONS: ReadonlySet<string> = new Set([
  'InitiateAuth',
  'RespondToAuthChallenge',
  'GetTokensFromRefreshToken',
  'GetUser',
  'ChangePassword',
  'AssociateSoftwareToken',
  'VerifySoftwareToken',
  'SetUserMFAPreference',
  'GlobalSignOut',
  'RevokeToken',
  // "Forgot your password?": a code by e-mail (locally, printed and kept), then the new password.
  'ForgotPassword',
  'ConfirmForgotPassword',
]);

/**
 * The admin calls the local server makes (the admin API's Cognito adapter, creating users) and the
 * users command, signed with the local admin credentials. CreateUserPoolClient stays for the
 * local server's own checks of tokens issued to another app client.
 */
export const ADMIN_OPERATIONS: ReadonlySet<string> = new Set([
  'AdminCreateUser',
  'AdminDeleteUser',
  'AdminGetUser',
  'AdminSetUserPassword',
  'AdminAddUserToGroup',
  'AdminRemoveUserFromGroup',
  'AdminListGroupsForUser',
  'AdminEnableUser',
  'AdminUserGlobalSignOut',
  'AdminSetUserMFAPreference',
  'AdminResetUserPassword',
  'AdminInitiateAuth',
  'AdminRespondToAuthChallenge',
  'ListUsers',
  'CreateUserPoolClient',
]);

/** The SigV4 service name of Cognito user pools. */
const SERVICE = 'cognito-idp';
/** AWS refuses a signature more than 5 minutes off its clock ("Signature expired"). */
const MAX_SKEW_MS = 5 * 60_000;

export interface AdminCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Fresh credentials for one start of the local server. */
export function newAdminCredentials(): AdminCredentials {
  return {
    accessKeyId: `PARLEYLOCAL${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

const CREDENTIALS_FILE = 'admin-credentials.json';

/** Keeps the credentials where the users command finds them, readable by their owner only. */
export function saveAdminCredentials(dataDir: string, credentials: AdminCredentials): void {
  writeFileSync(join(dataDir, CREDENTIALS_FILE), `${JSON.stringify(credentials, null, 2)}\n`, {
    mode: 0o600,
  });
}

/** The running local server's admin credentials (its Cognito data folder), or undefined. */
export function readAdminCredentials(dataDir: string): AdminCredentials | undefined {
  try {
    const parsed = JSON.parse(
      readFileSync(join(dataDir, CREDENTIALS_FILE), 'utf8'),
    ) as Partial<AdminCredentials>;
    return typeof parsed.accessKeyId === 'string' && typeof parsed.secretAccessKey === 'string'
      ? { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey }
      : undefined;
  } catch {
    return undefined;
  }
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Refuses the call unless the caller may make it: answers as Cognito and IAM would
 * (NotAuthorizedException for sign-up, MissingAuthenticationTokenException, UnrecognizedClient,
 * InvalidSignature, AccessDenied).
 */
export async function authoriseCall(
  op: string,
  req: IncomingMessage,
  body: Uint8Array,
  admin: AdminCredentials,
  now = new Date(),
): Promise<void> {
  // As a pool with AllowAdminCreateUserOnly answers, whoever asks.
  if (op === 'SignUp')
    throw new CognitoApiError('NotAuthorizedException', 'SignUp is not permitted for this user pool');
  if (PUBLIC_OPERATIONS.has(op)) return;
  await verifySignature(req, body, admin, now);
  if (!ADMIN_OPERATIONS.has(op)) {
    throw new CognitoApiError(
      'AccessDeniedException',
      `User: ${admin.accessKeyId} is not authorized to perform: ${SERVICE}:${op}`,
    );
  }
}

async function verifySignature(
  req: IncomingMessage,
  body: Uint8Array,
  admin: AdminCredentials,
  now: Date,
): Promise<void> {
  const authorization = req.headers.authorization;
  if (!authorization)
    throw new CognitoApiError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(authorization);
  const [, keyId, day, region, service, signedHeaderList, signature] = match ?? [];
  if (!keyId || !day || !region || !service || !signedHeaderList || !signature) {
    throw new CognitoApiError('IncompleteSignatureException', 'The request signature is malformed.');
  }
  if (keyId !== admin.accessKeyId) {
    throw new CognitoApiError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  const amzDate = headerValue(req, 'x-amz-date');
  const signedAt = parseAmzDate(amzDate);
  const signedHeaders = signedHeaderList.split(';');
  if (
    service !== SERVICE ||
    !signedAt ||
    !signedHeaders.includes('host') ||
    !signedHeaders.includes('x-amz-date') ||
    amzDate.slice(0, 8) !== day
  ) {
    throw new CognitoApiError('IncompleteSignatureException', 'The request signature is incomplete.');
  }
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    throw new CognitoApiError('InvalidSignatureException', 'Signature expired.');
  }

  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = headerValue(req, name);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  // Signs exactly the headers the caller signed (no payload-hash header added), at its instant.
  const signer = new SignatureV4({
    service,
    region,
    credentials: admin,
    sha256: Sha256,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: headerValue(req, 'host'),
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate: signedAt, signableHeaders: new Set(signedHeaders) },
  );
  const recomputed = AUTHORIZATION.exec(String(expected.headers.authorization));
  const a = Buffer.from(recomputed?.[6] ?? '', 'hex');
  const b = Buffer.from(signature, 'hex');
  if (recomputed?.[5] !== signedHeaderList || a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new CognitoApiError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
}

/** A request header's value ('' when absent; a repeated header's values joined by commas). */
function headerValue(req: IncomingMessage, name: string): string {
  return [req.headers[name]].flat().join(',');
}

/** `20261201T073000Z` as a Date; undefined when it is not one. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
