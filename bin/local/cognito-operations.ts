import { randomBytes } from 'node:crypto';

import { UnsecuredJWT } from 'jose';

import {
  assertAuthParameters,
  assertChallengeResponses,
  assertPasswordPolicy,
  attributesOf,
  CognitoApiError,
  emulatorApi,
  normaliseUsername,
  WRONG_CREDENTIALS,
  type InvokeTrigger,
  type Json,
  type MailSink,
} from './cognito-api';
import { passwordReset } from './cognito-password-reset';
import { signInFlows } from './cognito-sign-in';
import { emulatorTokens } from './cognito-tokens';

/**
 * The Cognito operations the proxy answers itself or amends before and after cognito-local: the
 * ones the emulator lacks (global sign-out, the admin MFA and reset calls, refresh through
 * GetTokensFromRefreshToken), gets wrong (ListUsers paging and status filter, groups by `sub`,
 * error codes) or leaves unchecked (password policy, access tokens). Anything else goes through
 * unchanged.
 */
export interface OperationsContext {
  /** cognito-local's own URL (loopback). */
  readonly emulatorUrl: string;
  /** `${endpoint}/${userPoolId}`: the tokens' `iss`. */
  readonly issuer: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly invokeTrigger: InvokeTrigger;
  /** Where global sign-outs are kept across restarts. */
  readonly signOutFile: string;
  /** The groups the last PreTokenGeneration run gave each user (by Cognito user name). */
  readonly groupOverrides: Map<string, { readonly groups: string[]; readonly at: number }>;
  /** Whether every user must set up TOTP at sign-in (see SignInContext). */
  readonly mfa: 'REQUIRED' | 'OPTIONAL';
  /** The password-reset code cognito-local stored for a user. @default none found */
  readonly storedResetCode?: (username: string) => string | undefined;
  /** Where invitations and password-reset codes go (Cognito would e-mail them). @default nowhere */
  readonly onMail?: MailSink;
  /** The clock (ms since the epoch), for the lifetimes of codes and temporary passwords. @default Date.now */
  readonly now?: () => number;
}

type Operation = (op: string, body: Json) => Promise<Json>;

/** A random temporary password that satisfies the policy (Cognito generates one when none is given). */
function generateTemporaryPassword(): string {
  const pick = (set: string) => set.charAt(randomBytes(1).readUInt8(0) % set.length);
  const body = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
  return `${pick('ABCDEFGHJKLMNPQRSTUVWXYZ')}${pick('abcdefghijkmnpqrstuvwxyz')}${pick('23456789')}${pick('!#%*+=?')}${body}`;
}

/** Answers one Cognito operation (`op` from `X-Amz-Target`) as the real service would. */
export function cognitoOperations(ctx: OperationsContext): (op: string, body: Json) => Promise<Json> {
  const emulator = emulatorApi(ctx.emulatorUrl, ctx.userPoolId);
  const { call, userOrThrow } = emulator;
  const tokens = emulatorTokens({ issuer: ctx.issuer, signOutFile: ctx.signOutFile });
  const signIn = signInFlows({ ...ctx, emulator, tokens });

  const mail: MailSink = ctx.onMail ?? (() => undefined);
  const reset = passwordReset({
    emulator,
    storedCode: ctx.storedResetCode ?? (() => undefined),
    onMail: mail,
    ...(ctx.now ? { now: ctx.now } : {}),
  });

  /**
   * AdminCreateUser with MessageAction RESEND, which cognito-local lacks: a new temporary password
   * for a user who has not signed in yet, sent as the first one was.
   */
  async function resendInvitation(body: Json): Promise<Json> {
    const user = await userOrThrow(body.Username);
    if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD')
      throw new CognitoApiError(
        'UnsupportedUserStateException',
        `Resend not possible. ${user.Username} status is not FORCE_CHANGE_PASSWORD.`,
      );
    const temporaryPassword = generateTemporaryPassword();
    await call('AdminSetUserPassword', {
      UserPoolId: ctx.userPoolId,
      Username: user.Username,
      Password: temporaryPassword,
      Permanent: false,
    });
    mail({ kind: 'invitation', email: attributesOf(user).email ?? user.Username, secret: temporaryPassword });
    return {
      User: {
        Username: user.Username,
        Attributes: user.UserAttributes ?? [],
        Enabled: user.Enabled,
        UserStatus: 'FORCE_CHANGE_PASSWORD',
      },
    };
  }

  const setupToken = (sub: string) => new UnsecuredJWT({ client_id: ctx.clientId, sub }).encode();

  const withPassword =
    (field: string): Operation =>
    async (op, body) => {
      assertPasswordPolicy(body[field]);
      return call(op, body);
    };

  const operations: Record<string, Operation> = {
    async InitiateAuth(op, body) {
      assertAuthParameters(body);
      if (body.AuthFlow === 'USER_PASSWORD_AUTH') return signIn.password('InitiateAuth', body);
      if (body.AuthFlow === 'REFRESH_TOKEN_AUTH' || body.AuthFlow === 'REFRESH_TOKEN')
        return signIn.refresh('InitiateAuth', body);
      return call(op, body);
    },
    async AdminInitiateAuth(op, body) {
      assertAuthParameters(body);
      if (body.AuthFlow === 'ADMIN_USER_PASSWORD_AUTH' || body.AuthFlow === 'ADMIN_NO_SRP_AUTH') {
        return signIn.password('AdminInitiateAuth', { ...body, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH' });
      }
      if (body.AuthFlow === 'REFRESH_TOKEN_AUTH' || body.AuthFlow === 'REFRESH_TOKEN')
        return signIn.refresh('AdminInitiateAuth', body);
      return call(op, body);
    },
    RespondToAuthChallenge: (_op, body) => {
      assertChallengeResponses(body);
      return signIn.respondToChallenge(body);
    },
    // The emulator has no admin variant; the client flow checks the same things.
    AdminRespondToAuthChallenge: (_op, body) => {
      assertChallengeResponses(body);
      const { UserPoolId: _pool, ContextData: _context, ...rest } = body;
      return signIn.respondToChallenge(rest);
    },
    async GetTokensFromRefreshToken(_op, body) {
      const result = await signIn.refresh('InitiateAuth', {
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: body.ClientId,
        AuthParameters: { REFRESH_TOKEN: body.RefreshToken },
        ClientMetadata: body.ClientMetadata,
      });
      // Refresh-token rotation is off: no new refresh token, as Cognito answers then.
      return { AuthenticationResult: result.AuthenticationResult };
    },

    async AdminCreateUser(op, body) {
      if (body.MessageAction === 'RESEND') return resendInvitation(body);
      const next: Json = { ...body };
      if (body.TemporaryPassword === undefined) next.TemporaryPassword = generateTemporaryPassword();
      else assertPasswordPolicy(body.TemporaryPassword);
      const attributes = ((body.UserAttributes as { Name: string; Value?: string }[] | undefined) ?? []).map(
        (a) => (a.Name === 'email' ? { ...a, Value: normaliseUsername(a.Value) } : a),
      );
      next.UserAttributes = attributes;
      const created = await call(op, next);
      if (body.MessageAction !== 'SUPPRESS') {
        const email = attributes.find((a) => a.Name === 'email')?.Value ?? body.Username;
        if (typeof email === 'string' && typeof next.TemporaryPassword === 'string')
          mail({ kind: 'invitation', email, secret: next.TemporaryPassword });
      }
      return created;
    },
    AdminSetUserPassword: withPassword('Password'),
    ForgotPassword: reset.ForgotPassword,
    ConfirmForgotPassword: reset.ConfirmForgotPassword,
    SignUp: withPassword('Password'),
    async ChangePassword(op, body) {
      assertPasswordPolicy(body.ProposedPassword);
      try {
        return await call(op, body);
      } catch (error) {
        if (error instanceof CognitoApiError && error.type === 'InvalidPasswordException') {
          throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
        }
        throw error;
      }
    },

    // With a Session, these are the MFA_SETUP steps of a sign-in (the emulator only knows the
    // access-token variant, which reads client_id and sub from the token without verifying it).
    async AssociateSoftwareToken(op, body) {
      if (body.AccessToken !== undefined) return call(op, body);
      const { sub, session } = signIn.continueSetup(body.Session);
      const { SecretCode } = await call(op, { AccessToken: setupToken(sub) });
      return { SecretCode, Session: session };
    },
    async VerifySoftwareToken(op, body) {
      if (body.AccessToken !== undefined) return call(op, body);
      const { sub } = signIn.peekSetup(body.Session);
      const AccessToken = setupToken(sub);
      const result = await call(op, {
        AccessToken,
        UserCode: body.UserCode,
        FriendlyDeviceName: body.FriendlyDeviceName,
      });
      // Cognito turns TOTP on (and preferred) once the set-up is verified.
      await call('SetUserMFAPreference', {
        AccessToken,
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      });
      return { Status: result.Status, Session: signIn.continueSetup(body.Session, true).session };
    },

    async GlobalSignOut(_op, body) {
      const claims = await tokens.verifyAccessToken(body.AccessToken);
      tokens.recordSignOut(String(claims.username ?? claims.sub));
      return {};
    },
    async AdminUserGlobalSignOut(_op, body) {
      tokens.recordSignOut((await userOrThrow(body.Username)).Username);
      return {};
    },
    async AdminSetUserMFAPreference(_op, body) {
      const user = await userOrThrow(body.Username);
      const sub = attributesOf(user).sub ?? user.Username;
      // The emulator only has the user-side call, which reads (without verifying) client_id and sub
      // from an access token: hand it one directly, never through the proxy's checks.
      const token = new UnsecuredJWT({ client_id: ctx.clientId, sub }).encode();
      await call('SetUserMFAPreference', {
        AccessToken: token,
        SMSMfaSettings: body.SMSMfaSettings,
        SoftwareTokenMfaSettings: body.SoftwareTokenMfaSettings,
      });
      return {};
    },
    async AdminResetUserPassword(_op, body) {
      // Closest the emulator has: a reset code, as ForgotPassword sends. The old password keeps
      // working until the reset is confirmed (Cognito would refuse it at once).
      await reset.adminReset(await userOrThrow(body.Username), ctx.clientId);
      return {};
    },
    async AdminListGroupsForUser(op, body) {
      // The emulator matches group members by exact user name only.
      const user = await userOrThrow(body.Username);
      return call(op, { ...body, Username: user.Username });
    },
    async ListUsers(op, body) {
      const { Limit, PaginationToken, Filter, ...rest } = body;
      const status =
        typeof Filter === 'string' ? /^\s*status\s*=\s*"(Enabled|Disabled)"\s*$/i.exec(Filter) : null;
      const result = await call(op, status ? rest : { ...rest, Filter });
      let users = (result.Users as { Enabled?: boolean }[] | undefined) ?? [];
      if (status) users = users.filter((u) => u.Enabled === (status[1]?.toLowerCase() === 'enabled'));
      const offset =
        typeof PaginationToken === 'string'
          ? Number(Buffer.from(PaginationToken, 'base64url').toString()) || 0
          : 0;
      const limit = typeof Limit === 'number' && Limit > 0 ? Math.min(Limit, 60) : 60;
      const page = users.slice(offset, offset + limit);
      const more = offset + limit < users.length;
      return {
        ...result,
        Users: page,
        ...(more ? { PaginationToken: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
      };
    },
  };

  return async function dispatch(op, body) {
    for (const key of ['Username'] as const) if (key in body) body[key] = normaliseUsername(body[key]);
    if ('AccessToken' in body && op !== 'RevokeToken') await tokens.verifyAccessToken(body.AccessToken);
    const operation = operations[op];
    return operation ? operation(op, body) : call(op, body);
  };
}
