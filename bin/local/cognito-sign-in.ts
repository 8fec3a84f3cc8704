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
import { decodeJwt, type Tokens } from './cognito-tokens';

/**
 * Sign-in as Cognito runs it, over the emulator's: PreAuthentication (which the emulator never
 * calls), disabled users refused, one answer for every wrong credential, MFA on the admin flow,
 * auth sessions that bind a challenge to the user who passed the password, revoked refresh
 * tokens, and the PreTokenGeneration group override in the tokens.
 */
export interface SignInContext {
  readonly emulator: EmulatorApi;
  readonly tokens: Tokens;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly invokeTrigger: InvokeTrigger;
  /** The groups the last PreTokenGeneration run gave each user (by Cognito user name). */
  readonly groupOverrides: Map<string, { readonly groups: string[]; readonly at: number }>;
}

/** Real Cognito lets an auth session live 3 minutes. */
const SESSION_TTL_MS = 3 * 60_000;
/** A PreTokenGeneration result older than this cannot belong to the token being answered. */
const OVERRIDE_TTL_MS = 60_000;

export type SignIn = ReturnType<typeof signInFlows>;

export function signInFlows(ctx: SignInContext) {
  const { call, getUser } = ctx.emulator;
  const sessions = new Map<string, { sub: string; expiresAt: number }>();

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
      await ctx.invokeTrigger(name, event);
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
      sessions.set(result.Session, { sub, expiresAt: Date.now() + SESSION_TTL_MS });
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
    // The emulator answers NEW_PASSWORD_REQUIRED before it compares the temporary password.
    if (user.UserStatus === 'FORCE_CHANGE_PASSWORD')
      await checkPassword(user, params.PASSWORD, body.ClientId);
    let result: Json;
    try {
      result = await call(op, { ...body, AuthParameters: params });
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

  /** Compares a password through the emulator's admin flow (which does), dropping its tokens. */
  async function checkPassword(user: EmulatorUser, password: string, clientId: unknown): Promise<void> {
    try {
      const result = await call('AdminInitiateAuth', {
        UserPoolId: ctx.userPoolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: user.Username, PASSWORD: password },
      });
      const refreshToken = (result.AuthenticationResult as Json | undefined)?.RefreshToken;
      if (typeof refreshToken === 'string') {
        await call('RevokeToken', { ClientId: clientId, Token: refreshToken }).catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof CognitoApiError && error.status < 500) {
        throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
      }
      throw error;
    }
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
    const session = typeof body.Session === 'string' ? sessions.get(body.Session) : undefined;
    const user = await getUser(responses.USERNAME);
    // The emulator checks no session: without this, a TOTP code alone (no password) would sign in.
    if (!session || session.expiresAt < Date.now() || !user || user.Username !== session.sub) {
      throw new CognitoApiError(
        'NotAuthorizedException',
        'Invalid session for the user, session is expired.',
      );
    }
    if (!user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    if (body.ChallengeName === 'NEW_PASSWORD_REQUIRED') assertPasswordPolicy(responses.NEW_PASSWORD);
    const result = await call('RespondToAuthChallenge', { ...body, ChallengeResponses: responses });
    if (typeof body.Session === 'string') sessions.delete(body.Session);
    return finish(result, user.Username);
  }

  return { password, refresh, respondToChallenge };
}
