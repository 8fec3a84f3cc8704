import { randomUUID } from 'node:crypto';

import {
  assertPasswordPolicy,
  attributesOf,
  CognitoApiError,
  normaliseUsername,
  WRONG_CREDENTIALS,
  type EmulatorApi,
  type EmulatorUser,
  type InvokeTrigger,
  type Json,
  type TriggerName,
} from './cognito-api';
import { PASSWORD_POLICY } from '../../functions/auth/domain/password-policy';
import { currentCallerOrigin, duringEmulatorCall, withOriginIn } from './cognito-origin';
import { decodeJwt, type Tokens } from './cognito-tokens';

/**
 * Sign-in as Cognito runs it, over the emulator's: PreAuthentication (which the emulator never
 * calls), disabled users refused, one answer for every wrong credential, MFA on the admin flow,
 * the MFA_SETUP challenge for a user without TOTP when MFA is required, auth sessions that bind a
 * challenge to the user who passed the password, revoked refresh tokens, and the
 * PreTokenGeneration group override in the tokens.
 */
export interface SignInContext {
  readonly emulator: EmulatorApi;
  readonly tokens: Tokens;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly invokeTrigger: InvokeTrigger;
  /** The groups the last PreTokenGeneration run gave each user (by Cognito user name). */
  readonly groupOverrides: Map<string, { readonly groups: string[]; readonly at: number }>;
  /**
   * REQUIRED: a user without TOTP gets the MFA_SETUP challenge after the password, as a pool with
   * `MfaConfiguration: ON` answers (the emulator never asks). OPTIONAL: only users with TOTP are
   * asked for a code.
   */
  readonly mfa: 'REQUIRED' | 'OPTIONAL';
  /** The clock (ms since the epoch). @default Date.now */
  readonly now?: () => number;
}

/** Cognito's answer to a temporary password used after the pool's validity. */
export const TEMPORARY_PASSWORD_EXPIRED =
  'Temporary password has expired and must be reset by an administrator.';

/** One sign-in between the password and its last challenge. */
interface AuthSession {
  /** Cognito user name. */
  readonly username: string;
  readonly expiresAt: number;
  /** MFA_SETUP only: the user's `sub`, the tokens the sign-in ends with, and whether TOTP is verified. */
  readonly setup?: { readonly sub: string; readonly result: Json; verified: boolean };
}

/** Real Cognito lets an auth session live 3 minutes. */
const SESSION_TTL_MS = 3 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** A PreTokenGeneration result older than this cannot belong to the token being answered. */
const OVERRIDE_TTL_MS = 60_000;

export type SignIn = ReturnType<typeof signInFlows>;

export function signInFlows(ctx: SignInContext) {
  const { call, getUser } = ctx.emulator;
  const sessions = new Map<string, AuthSession>();

  async function trigger(
    name: TriggerName,
    user: EmulatorUser | null,
    username: string,
    clientId: unknown,
    extra: Json,
  ) {
    const event = {
      version: '1',
      region: 'local',
      userPoolId: ctx.userPoolId,
      userName: user?.Username ?? username,
      callerContext: {
        awsSdkVersion: 'parley-local',
        clientId: typeof clientId === 'string' ? clientId : ctx.clientId,
      },
      triggerSource: `${name}_Authentication`,
      request: { userAttributes: attributesOf(user), ...extra },
      response: {},
    };
    try {
      await ctx.invokeTrigger(name, withOriginIn(name, event, currentCallerOrigin()));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new CognitoApiError('UserLambdaValidationException', `${name} failed with error ${message}.`);
    }
  }

  /**
   * Completes an AuthenticationResult as Cognito would: the group override of PreTokenGeneration
   * (the emulator ignores `groupOverrideDetails`), ExpiresIn and TokenType. Remembers challenges.
   */
  async function finish(result: Json, sub: string | undefined): Promise<Json> {
    if (typeof result.Session === 'string' && typeof result.ChallengeName === 'string' && sub) {
      sessions.set(result.Session, { username: sub, expiresAt: Date.now() + SESSION_TTL_MS });
    }
    const auth = result.AuthenticationResult as Json | undefined;
    if (!auth || typeof auth.AccessToken !== 'string') return result;
    const access = decodeJwt(auth.AccessToken) ?? {};
    const username = typeof access.username === 'string' ? access.username : sub;
    const override = username ? ctx.groupOverrides.get(username) : undefined;
    const next: Json = { ...auth };
    if (override && Date.now() - override.at < OVERRIDE_TTL_MS) {
      next.AccessToken = await ctx.tokens.withGroups(auth.AccessToken, override.groups);
      if (typeof auth.IdToken === 'string')
        next.IdToken = await ctx.tokens.withGroups(auth.IdToken, override.groups);
    }
    const exp = typeof access.exp === 'number' ? access.exp : undefined;
    const iat = typeof access.iat === 'number' ? access.iat : undefined;
    next.ExpiresIn = exp && iat ? exp - iat : 3600;
    next.TokenType = 'Bearer';
    const present = Object.entries(next).filter(([, value]) => value !== undefined && value !== null);
    return { ...result, AuthenticationResult: Object.fromEntries(present) };
  }

  async function password(op: 'InitiateAuth' | 'AdminInitiateAuth', body: Json): Promise<Json> {
    const params = { ...(body.AuthParameters as Json | undefined) };
    const username = normaliseUsername(params.USERNAME);
    if (typeof username !== 'string' || typeof params.PASSWORD !== 'string') return call(op, body);
    params.USERNAME = username;
    const user = await getUser(username);
    if (user && !user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    // With PreventUserExistenceErrors, Cognito runs the trigger for unknown names too.
    await trigger('PreAuthentication', user, username, body.ClientId, {
      validationData: body.ClientMetadata ?? undefined,
      ...(user ? {} : { userNotFound: true }),
    });
    if (!user) throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);

    const hasMfa = (user.UserMFASettingList ?? []).length > 0;
    // The emulator answers NEW_PASSWORD_REQUIRED before it compares the temporary password, and
    // lets it work for ever: Cognito refuses it once the pool's days are over.
    if (user.UserStatus === 'FORCE_CHANGE_PASSWORD') {
      await checkPassword(user, params.PASSWORD, body.ClientId);
      if (temporaryPasswordExpired(user))
        throw new CognitoApiError('NotAuthorizedException', TEMPORARY_PASSWORD_EXPIRED);
    } else if (ctx.mfa === 'REQUIRED' && !hasMfa) {
      // The emulator's admin flow checks the password without running PostAuthentication, which
      // runs once the TOTP is set up, as on Cognito.
      const tokens = await passwordTokens(user, params.PASSWORD, body.ClientId);
      return mfaSetupChallenge(user, await finish(tokens, user.Username));
    }
    let result: Json;
    try {
      result = await duringEmulatorCall(user.Username, [], () =>
        call(op, { ...body, AuthParameters: params }),
      );
    } catch (error) {
      if (
        error instanceof CognitoApiError &&
        ['InvalidPasswordException', 'NotAuthorizedException'].includes(error.type)
      ) {
        throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
      }
      throw error;
    }
    if (op === 'AdminInitiateAuth' && result.AuthenticationResult) {
      // The emulator's admin flow skips MFA and PostAuthentication. The password was right: ask for
      // the TOTP code as Cognito does (answered through RespondToAuthChallenge), or finish here.
      if (hasMfa) {
        return finish(
          {
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            ChallengeParameters: { USER_ID_FOR_SRP: user.Username },
            Session: randomUUID(),
          },
          user.Username,
        );
      }
      await trigger('PostAuthentication', user, username, body.ClientId, { newDeviceUsed: false });
    }
    return finish(result, user.Username);
  }

  /**
   * Compares a password through the emulator's admin flow (which runs no PostAuthentication),
   * resolving to its result; any refusal is one answer for every wrong credential.
   */
  async function passwordTokens(user: EmulatorUser, password: string, clientId: unknown): Promise<Json> {
    try {
      return await call('AdminInitiateAuth', {
        UserPoolId: ctx.userPoolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: user.Username, PASSWORD: password },
      });
    } catch (error) {
      if (error instanceof CognitoApiError && error.status < 500) {
        throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
      }
      throw error;
    }
  }

  /**
   * Whether an invited user's temporary password is past the pool's validity, counted from the
   * user's last change (when the invitation, or its resend, set it).
   */
  function temporaryPasswordExpired(user: EmulatorUser): boolean {
    // Epoch seconds on the AWS wire; cognito-local may send an ISO date instead.
    const changed = user.UserLastModifiedDate;
    const at =
      typeof changed === 'number' ? changed * 1000 : typeof changed === 'string' ? Date.parse(changed) : NaN;
    if (Number.isNaN(at)) return false;
    return (ctx.now ?? Date.now)() - at > PASSWORD_POLICY.tempPasswordValidityDays * DAY_MS;
  }

  /** Compares a password, dropping the tokens it gives. */
  async function checkPassword(user: EmulatorUser, password: string, clientId: unknown): Promise<void> {
    const result = await passwordTokens(user, password, clientId);
    const refreshToken = (result.AuthenticationResult as Json | undefined)?.RefreshToken;
    if (typeof refreshToken === 'string') {
      await call('RevokeToken', { ClientId: clientId, Token: refreshToken }).catch(() => undefined);
    }
  }

  /** The MFA_SETUP challenge; the tokens wait in the session until the TOTP is verified. */
  function mfaSetupChallenge(user: EmulatorUser, result: Json): Json {
    const session = randomUUID();
    sessions.set(session, {
      username: user.Username,
      expiresAt: Date.now() + SESSION_TTL_MS,
      setup: { sub: attributesOf(user).sub ?? user.Username, result, verified: false },
    });
    return {
      ChallengeName: 'MFA_SETUP',
      ChallengeParameters: { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]', USER_ID_FOR_SRP: user.Username },
      Session: session,
    };
  }

  const INVALID_SESSION = 'Invalid session for the user, session is expired.';

  /**
   * The MFA_SETUP sign-in a Session names (AssociateSoftwareToken and VerifySoftwareToken with a
   * Session), under a new Session id as Cognito gives one at each step.
   */
  function continueSetup(session: unknown, verified = false): { sub: string; session: string } {
    const entry = typeof session === 'string' ? sessions.get(session) : undefined;
    if (!entry?.setup || entry.expiresAt < Date.now() || typeof session !== 'string') {
      throw new CognitoApiError('NotAuthorizedException', INVALID_SESSION);
    }
    sessions.delete(session);
    const next = randomUUID();
    sessions.set(next, {
      ...entry,
      expiresAt: Date.now() + SESSION_TTL_MS,
      setup: { ...entry.setup, verified: entry.setup.verified || verified },
    });
    return { sub: entry.setup.sub, session: next };
  }

  /** The MFA_SETUP sign-in a Session names, left as it is (a wrong code may be tried again). */
  function peekSetup(session: unknown): { sub: string } {
    const entry = typeof session === 'string' ? sessions.get(session) : undefined;
    if (!entry?.setup || entry.expiresAt < Date.now()) {
      throw new CognitoApiError('NotAuthorizedException', INVALID_SESSION);
    }
    return { sub: entry.setup.sub };
  }

  /** The end of MFA_SETUP: PostAuthentication now, and the tokens the password earned. */
  async function completeSetup(body: Json, user: EmulatorUser, entry: AuthSession): Promise<Json> {
    if (!entry.setup?.verified || (user.UserMFASettingList ?? []).length === 0) {
      throw new CognitoApiError('InvalidParameterException', 'The software token has not been verified.');
    }
    await trigger('PostAuthentication', user, user.Username, body.ClientId, { newDeviceUsed: false });
    return { ChallengeParameters: {}, AuthenticationResult: entry.setup.result.AuthenticationResult };
  }

  async function refresh(op: 'InitiateAuth' | 'AdminInitiateAuth', body: Json): Promise<Json> {
    const params = (body.AuthParameters as Json | undefined) ?? {};
    const claims = await ctx.tokens.verify(params.REFRESH_TOKEN);
    if (!claims) throw new CognitoApiError('NotAuthorizedException', 'Invalid Refresh Token');
    const user = await getUser(claims['cognito:username']);
    if (!user) throw new CognitoApiError('NotAuthorizedException', 'Invalid Refresh Token');
    if (ctx.tokens.isSignedOut(user.Username, claims.iat)) {
      throw new CognitoApiError('NotAuthorizedException', 'Refresh Token has been revoked');
    }
    if (!user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    try {
      return await finish(await call(op, body), user.Username);
    } catch (error) {
      if (error instanceof CognitoApiError && error.type === 'NotAuthorizedException') {
        throw new CognitoApiError('NotAuthorizedException', 'Refresh Token has been revoked');
      }
      throw error;
    }
  }

  async function respondToChallenge(body: Json): Promise<Json> {
    const responses = { ...(body.ChallengeResponses as Json | undefined) };
    responses.USERNAME = normaliseUsername(responses.USERNAME);
    // No session is ever kept under '' (Cognito's and ours are UUIDs): a missing one finds nothing.
    const sessionId = typeof body.Session === 'string' ? body.Session : '';
    const session = sessions.get(sessionId);
    const user = await getUser(responses.USERNAME);
    // The emulator checks no session: without this, a TOTP code alone (no password) would sign in.
    if (!session || session.expiresAt < Date.now() || !user || user.Username !== session.username) {
      throw new CognitoApiError('NotAuthorizedException', INVALID_SESSION);
    }
    if (!user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    if ((body.ChallengeName === 'MFA_SETUP') !== Boolean(session.setup)) {
      throw new CognitoApiError('NotAuthorizedException', INVALID_SESSION);
    }
    if (body.ChallengeName === 'MFA_SETUP') {
      const done = await completeSetup(body, user, session);
      sessions.delete(sessionId);
      return done;
    }
    if (body.ChallengeName === 'NEW_PASSWORD_REQUIRED') assertPasswordPolicy(responses.NEW_PASSWORD);
    // With TOTP still to set up, PostAuthentication waits for the end of MFA_SETUP (as on Cognito):
    // the emulator must not run it at the new password too.
    const setupFollows = ctx.mfa === 'REQUIRED' && (user.UserMFASettingList ?? []).length === 0;
    const result = await duringEmulatorCall(user.Username, setupFollows ? ['PostAuthentication'] : [], () =>
      call('RespondToAuthChallenge', { ...body, ChallengeResponses: responses }),
    );
    sessions.delete(sessionId);
    const finished = await finish(result, user.Username);
    // A new password, then the TOTP set-up, as an invited user's first sign-in goes on Cognito.
    if (
      ctx.mfa === 'REQUIRED' &&
      finished.AuthenticationResult &&
      (user.UserMFASettingList ?? []).length === 0
    )
      return mfaSetupChallenge(user, finished);
    return finished;
  }

  return { password, refresh, respondToChallenge, continueSetup, peekSetup };
}
