import { describe, expect, it } from 'vitest';

import {
  CognitoApiError,
  type EmulatorApi,
  type EmulatorUser,
  type Json,
  type LocalMail,
} from './cognito-api';
import {
  maskedEmail,
  passwordReset,
  RESET_CODE_ATTEMPTS,
  RESET_CODE_TTL_MS,
  RESET_MESSAGES,
} from './cognito-password-reset';

const PASSWORD = 'Correct-Horse-42';

/** cognito-local as far as a reset goes: one code per user, compared as it compares it. */
function fakeEmulator(users: Record<string, EmulatorUser>) {
  const codes = new Map<string, string>();
  const calls: [string, Json][] = [];
  let next = 100_000;
  const emulator: EmulatorApi = {
    async call(op, body) {
      calls.push([op, body]);
      const user = Object.hasOwn(users, String(body.Username)) ? users[String(body.Username)] : undefined;
      if (!user) throw new CognitoApiError('UserNotFoundException', 'User does not exist.');
      if (op === 'ForgotPassword') codes.set(user.Username, String((next += 1)));
      if (op === 'ConfirmForgotPassword' && codes.get(user.Username) !== body.ConfirmationCode)
        throw new CognitoApiError('CodeMismatchException', 'Invalid code');
      return {};
    },
    async getUser(username) {
      return typeof username === 'string' && Object.hasOwn(users, username)
        ? (users[username] ?? null)
        : null;
    },
    async userOrThrow() {
      throw new Error('not used');
    },
  };
  return { emulator, codes, calls };
}

const user = (username: string, status = 'CONFIRMED'): EmulatorUser => ({
  Username: username,
  Enabled: true,
  UserStatus: status,
  UserAttributes: [{ Name: 'email', Value: username }],
});

function setUp(users: Record<string, EmulatorUser>) {
  const { emulator, codes, calls } = fakeEmulator(users);
  let clock = 1_000_000;
  const sent: { email: string; code: string }[] = [];
  const mail: LocalMail[] = [];
  const reset = passwordReset({
    emulator,
    storedCode: (username) => codes.get(username),
    onMail: (delivered) => {
      mail.push(delivered);
      sent.push({ email: delivered.email, code: delivered.secret });
    },
    now: () => clock,
  });
  return {
    reset,
    sent,
    mail,
    calls,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => ({ type: (error as CognitoApiError).type, message: (error as Error).message }),
  );

describe('password reset on the local Cognito', () => {
  it('masks the destination as Cognito shows it', () => {
    expect(maskedEmail('ada@example.com')).toBe('a***@e***');
    expect(maskedEmail('')).toBe('***@***');
  });

  it('hands the stored code on, and answers an unknown address the same way without sending one', async () => {
    const { reset, sent, mail } = setUp({ 'ada@example.test': user('ada@example.test') });
    const known = await reset.ForgotPassword('ForgotPassword', {
      ClientId: 'c',
      Username: 'ada@example.test',
    });
    const unknown = await reset.ForgotPassword('ForgotPassword', {
      ClientId: 'c',
      Username: 'abe@example.test',
    });
    expect(known).toEqual({
      CodeDeliveryDetails: { Destination: 'a***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
    });
    expect(unknown).toEqual(known);
    expect(sent).toEqual([{ email: 'ada@example.test', code: '100001' }]);
    expect(mail.map((m) => m.kind)).toEqual(['reset-code']);
  });

  it('refuses a code older than an hour, and the same code after that', async () => {
    const { reset, sent, advance } = setUp({ 'ada@example.test': user('ada@example.test') });
    await reset.ForgotPassword('ForgotPassword', { ClientId: 'c', Username: 'ada@example.test' });
    advance(RESET_CODE_TTL_MS + 1);
    const confirm = () =>
      reset.ConfirmForgotPassword('ConfirmForgotPassword', {
        ClientId: 'c',
        Username: 'ada@example.test',
        ConfirmationCode: sent[0]?.code,
        Password: PASSWORD,
      });
    expect(await failure(confirm())).toEqual({
      type: 'ExpiredCodeException',
      message: RESET_MESSAGES.expired,
    });
    expect(await failure(confirm())).toEqual({
      type: 'CodeMismatchException',
      message: RESET_MESSAGES.mismatch,
    });
  });

  it('accepts a code within the hour once, and spends it', async () => {
    const { reset, sent, advance, calls } = setUp({ 'ada@example.test': user('ada@example.test') });
    await reset.ForgotPassword('ForgotPassword', { ClientId: 'c', Username: 'ada@example.test' });
    advance(RESET_CODE_TTL_MS - 1);
    const body = {
      ClientId: 'c',
      Username: 'ada@example.test',
      ConfirmationCode: sent[0]?.code,
      Password: PASSWORD,
    };
    expect(await reset.ConfirmForgotPassword('ConfirmForgotPassword', body)).toEqual({});
    expect(await failure(reset.ConfirmForgotPassword('ConfirmForgotPassword', body))).toMatchObject({
      type: 'CodeMismatchException',
    });
    expect(calls.filter(([op]) => op === 'ConfirmForgotPassword')).toHaveLength(1);
  });

  it(`spends the code after ${RESET_CODE_ATTEMPTS} wrong guesses`, async () => {
    const { reset, sent } = setUp({ 'ada@example.test': user('ada@example.test') });
    await reset.ForgotPassword('ForgotPassword', { ClientId: 'c', Username: 'ada@example.test' });
    const guess = (code: string | undefined) =>
      reset.ConfirmForgotPassword('ConfirmForgotPassword', {
        ClientId: 'c',
        Username: 'ada@example.test',
        ConfirmationCode: code,
        Password: PASSWORD,
      });
    for (let i = 1; i < RESET_CODE_ATTEMPTS; i += 1)
      expect(await failure(guess('000000'))).toMatchObject({ type: 'CodeMismatchException' });
    expect(await failure(guess('000000'))).toEqual({
      type: 'LimitExceededException',
      message: RESET_MESSAGES.attempts,
    });
    // The right code no longer helps: a new one must be asked for.
    expect(await failure(guess(sent[0]?.code))).toMatchObject({ type: 'CodeMismatchException' });
  });

  it('refuses a reset for an invited user who still has the temporary password', async () => {
    const { reset, sent, calls } = setUp({
      'new@example.test': user('new@example.test', 'FORCE_CHANGE_PASSWORD'),
    });
    expect(
      await failure(reset.ForgotPassword('ForgotPassword', { ClientId: 'c', Username: 'new@example.test' })),
    ).toEqual({ type: 'NotAuthorizedException', message: RESET_MESSAGES.notNow });
    expect(sent).toEqual([]);
    expect(calls).toEqual([]);
  });

  it.each([
    ['an empty code', { Username: 'ada@example.test', ConfirmationCode: '' }, /confirmationCode/],
    ['a code with a space', { Username: 'ada@example.test', ConfirmationCode: '12 34' }, /confirmationCode/],
    ['a number for the code', { Username: 'ada@example.test', ConfirmationCode: 123456 }, /confirmationCode/],
    [
      'a code of 2,049 characters',
      { Username: 'ada@example.test', ConfirmationCode: 'x'.repeat(2049) },
      /confirmationCode/,
    ],
    ['no user name', { ConfirmationCode: '123456' }, /username/],
    ['a user name of 129 characters', { Username: 'x'.repeat(129), ConfirmationCode: '123456' }, /username/],
  ])('refuses %s with InvalidParameterException', async (_what, body, field) => {
    const { reset, calls } = setUp({ 'ada@example.test': user('ada@example.test') });
    const answer = await failure(
      reset.ConfirmForgotPassword('ConfirmForgotPassword', { ClientId: 'c', Password: PASSWORD, ...body }),
    );
    expect(answer.type).toBe('InvalidParameterException');
    expect(answer.message).toMatch(field);
    expect(calls).toEqual([]);
  });

  it("takes a NUL in the code as a wrong code, as Cognito's [\\S]+ admits it", async () => {
    const { reset } = setUp({ 'ada@example.test': user('ada@example.test') });
    await reset.ForgotPassword('ForgotPassword', { ClientId: 'c', Username: 'ada@example.test' });
    const answer = await failure(
      reset.ConfirmForgotPassword('ConfirmForgotPassword', {
        ClientId: 'c',
        Username: 'ada@example.test',
        ConfirmationCode: '1\u00002',
        Password: PASSWORD,
      }),
    );
    expect(answer).toEqual({ type: 'CodeMismatchException', message: RESET_MESSAGES.mismatch });
  });

  it('answers prototype keys as unknown users: the hidden answer, then a wrong code', async () => {
    const { reset, sent } = setUp({ 'ada@example.test': user('ada@example.test') });
    for (const name of ['__proto__', 'constructor', 'toString']) {
      expect(await reset.ForgotPassword('ForgotPassword', { ClientId: 'c', Username: name })).toMatchObject({
        CodeDeliveryDetails: { DeliveryMedium: 'EMAIL' },
      });
      expect(
        await failure(
          reset.ConfirmForgotPassword('ConfirmForgotPassword', {
            ClientId: 'c',
            Username: name,
            ConfirmationCode: '100001',
            Password: PASSWORD,
          }),
        ),
      ).toMatchObject({ type: 'CodeMismatchException' });
    }
    expect(sent).toEqual([]);
  });
});
