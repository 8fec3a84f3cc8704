import { readFileSync } from 'node:fs';

import {
  assertPasswordPolicy,
  attributesOf,
  CognitoApiError,
  type EmulatorApi,
  type EmulatorUser,
  type Json,
  type MailSink,
} from './cognito-api';

/**
 * Password reset by e-mail code (ForgotPassword, ConfirmForgotPassword) as Cognito answers it for
 * Parley's pool, on top of cognito-local, which stores the code but answers unlike Cognito: it
 * tells anyone which addresses have accounts, shows the whole address, resets an invited user who
 * never signed in, and keeps a code for ever, however often it is guessed wrong.
 */

/** Cognito's code lifetime for a password reset. */
export const RESET_CODE_TTL_MS = 60 * 60_000;
/** Wrong codes before the code is spent; Cognito documents a limit without its value. */
export const RESET_CODE_ATTEMPTS = 5;

export const RESET_MESSAGES = {
  notNow: 'User password cannot be reset in the current state.',
  mismatch: 'Invalid verification code provided, please try again.',
  expired: 'Invalid code provided, please request a code again.',
  attempts: 'Attempt limit exceeded, please try after some time.',
} as const;

export interface PasswordResetContext {
  readonly emulator: EmulatorApi;
  /** The code cognito-local stored for the user (its data file), or undefined. */
  readonly storedCode: (username: string) => string | undefined;
  /** Where the code goes (Cognito would e-mail it). */
  readonly onMail: MailSink;
  readonly now?: () => number;
}

/** Cognito's input validation of `Username`: present, a string, 1–128 characters. */
function assertUsername(username: unknown): asserts username is string {
  if (typeof username !== 'string' || username.length === 0 || username.length > 128)
    throw new CognitoApiError(
      'InvalidParameterException',
      "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length between 1 and 128",
    );
}

/** `ada@example.com` as Cognito shows a destination: `a***@e***`. */
export function maskedEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***`;
}

const delivery = (email: string): Json => ({
  CodeDeliveryDetails: { Destination: maskedEmail(email), DeliveryMedium: 'EMAIL', AttributeName: 'email' },
});

/** Reads the code cognito-local keeps on the user, from its data file (`<dir>/<pool>.json`). */
export function emulatorStoredCode(dbFile: string): (username: string) => string | undefined {
  return (username) => {
    try {
      const db = JSON.parse(readFileSync(dbFile, 'utf8')) as { Users?: Record<string, unknown> };
      const users = db.Users ?? {};
      const user = Object.hasOwn(users, username) ? (users[username] as { ConfirmationCode?: unknown }) : {};
      return typeof user.ConfirmationCode === 'string' ? user.ConfirmationCode : undefined;
    } catch {
      return undefined;
    }
  };
}

export function passwordReset(ctx: PasswordResetContext) {
  const { emulator } = ctx;
  const now = ctx.now ?? Date.now;
  /** The codes out there, by user name: when each was sent and how many wrong guesses it took. */
  const issued = new Map<string, { at: number; wrong: number }>();

  /** Keeps the code cognito-local just stored for `user` and hands it on; returns the address. */
  const sent = (user: EmulatorUser): string => {
    const email = attributesOf(user).email ?? user.Username;
    issued.set(user.Username, { at: now(), wrong: 0 });
    const code = ctx.storedCode(user.Username);
    if (code) ctx.onMail({ kind: 'reset-code', email, secret: code });
    return email;
  };

  return {
    async ForgotPassword(op: string, body: Json): Promise<Json> {
      assertUsername(body.Username);
      const user = await emulator.getUser(body.Username);
      // An invited user who never signed in has the temporary password of their invitation.
      if (user?.UserStatus === 'FORCE_CHANGE_PASSWORD')
        throw new CognitoApiError('NotAuthorizedException', RESET_MESSAGES.notNow);
      // User existence errors are hidden: an unknown address gets the answer a known one gets.
      // (Nor is the emulator asked: it would find `__proto__` in its plain object of users.)
      if (!user) return delivery(body.Username);
      await emulator.call(op, { ...body, Username: user.Username });
      return delivery(sent(user));
    },

    /** AdminResetUserPassword: the user's code is sent as for ForgotPassword (`ClientId`: ours). */
    async adminReset(user: EmulatorUser, clientId: string): Promise<void> {
      await emulator.call('ForgotPassword', { ClientId: clientId, Username: user.Username });
      sent(user);
    },

    async ConfirmForgotPassword(op: string, body: Json): Promise<Json> {
      const code: unknown = body.ConfirmationCode;
      if (typeof code !== 'string' || !/^\S{1,2048}$/.test(code))
        throw new CognitoApiError(
          'InvalidParameterException',
          "1 validation error detected: Value at 'confirmationCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+",
        );
      assertUsername(body.Username);
      assertPasswordPolicy(body.Password);
      const user = await emulator.getUser(body.Username);
      const sent = user ? issued.get(user.Username) : undefined;
      // No user, or no code sent to them: a wrong code, as Cognito says when it hides existence.
      if (!user || !sent) throw new CognitoApiError('CodeMismatchException', RESET_MESSAGES.mismatch);
      if (now() - sent.at > RESET_CODE_TTL_MS) {
        issued.delete(user.Username);
        throw new CognitoApiError('ExpiredCodeException', RESET_MESSAGES.expired);
      }
      try {
        await emulator.call(op, { ...body, Username: user.Username });
      } catch (error) {
        if (error instanceof CognitoApiError && error.type === 'CodeMismatchException') {
          sent.wrong += 1;
          if (sent.wrong >= RESET_CODE_ATTEMPTS) {
            issued.delete(user.Username);
            throw new CognitoApiError('LimitExceededException', RESET_MESSAGES.attempts);
          }
          throw new CognitoApiError('CodeMismatchException', RESET_MESSAGES.mismatch);
        }
        throw error;
      }
      issued.delete(user.Username);
      return {};
    },
  };
}
