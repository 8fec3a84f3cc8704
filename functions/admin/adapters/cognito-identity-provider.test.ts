import { afterEach, describe, expect, it, vi } from 'vitest';

import { AwsNetworkError, AwsServiceError, awsJsonClient } from '#shared/aws/aws-json-client';
import {
  TEST_CREDENTIALS,
  awsJsonError,
  startAwsJsonTestServer,
  type AwsJsonAnswer,
  type AwsJsonCall,
  type AwsJsonTestServer,
} from '../../../test/support/aws/aws-json-test-server';
import {
  EmailTakenError,
  IdentityMissingError,
  InvitationAcceptedError,
  InvitationNotSentError,
} from '../domain/admin-user';
import {
  certainlyNotCarriedOut,
  cognitoIdentityProvider,
  createCognitoClient,
} from './cognito-identity-provider';

const POOL = 'eu-west-1_AbC123';
const TARGET = 'AWSCognitoIdentityProviderService';

/** Cognito is the AWS edge: a loopback server checks each signed call and answers as Cognito does. */
let server: AwsJsonTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function provider(answer: (call: AwsJsonCall) => AwsJsonAnswer = () => ({ status: 200 })) {
  server = await startAwsJsonTestServer({
    service: 'cognito-idp',
    targetPrefix: TARGET,
    answer: (_index, call) => answer(call),
  });
  const client = awsJsonClient({
    service: 'cognito-idp',
    targetPrefix: TARGET,
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: () => TEST_CREDENTIALS,
    random: () => 0,
  });
  return { idp: cognitoIdentityProvider(client, POOL), calls: server.calls, refused: server.refused };
}

describe('cognitoIdentityProvider', () => {
  it('invites by e-mail (verified, invitation by e-mail) and returns the new sub', async () => {
    // Prepare
    const { idp, calls } = await provider(() => ({
      status: 200,
      body: { User: { Username: 'x', Attributes: [{ Name: 'sub', Value: 'sub-123' }] } },
    }));

    // Act
    const created = await idp.createUser('new@example.test');

    // Assess
    expect(created).toEqual({ id: 'sub-123' });
    expect(calls.map((c) => [c.target, c.body])).toEqual([
      [
        `${TARGET}.AdminCreateUser`,
        {
          UserPoolId: POOL,
          Username: 'new@example.test',
          UserAttributes: [
            { Name: 'email', Value: 'new@example.test' },
            { Name: 'email_verified', Value: 'true' },
          ],
          DesiredDeliveryMediums: ['EMAIL'],
        },
      ],
    ]);
  });

  it('sends the exact parameters of every admin call', async () => {
    const { idp, calls, refused } = await provider();

    await idp.addToGroup('a@example.test', 'auditors');
    await idp.removeFromGroup('a@example.test', 'members');
    await idp.enableUser('a@example.test');
    await idp.signOut('a@example.test');
    await idp.setTotpMfa('a@example.test', false);
    await idp.setTotpMfa('a@example.test', true);
    await idp.deleteUser('a@example.test');

    const user = { UserPoolId: POOL, Username: 'a@example.test' };
    expect(refused).toEqual([]);
    expect(calls.map((c) => [c.target, c.body])).toEqual([
      [`${TARGET}.AdminAddUserToGroup`, { ...user, GroupName: 'auditors' }],
      [`${TARGET}.AdminRemoveUserFromGroup`, { ...user, GroupName: 'members' }],
      [`${TARGET}.AdminEnableUser`, user],
      [`${TARGET}.AdminUserGlobalSignOut`, user],
      [
        `${TARGET}.AdminSetUserMFAPreference`,
        { ...user, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } },
      ],
      [
        `${TARGET}.AdminSetUserMFAPreference`,
        { ...user, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } },
      ],
      [`${TARGET}.AdminDeleteUser`, user],
    ]);
  });

  it('turns an existing user name or alias into EmailTakenError and an unknown user into IdentityMissingError', async () => {
    const { idp } = await provider((call) => {
      if (call.operation === 'AdminCreateUser')
        return awsJsonError(
          400,
          call.body.Username === 'alias@example.test' ? 'AliasExistsException' : 'UsernameExistsException',
        );
      if (call.operation === 'AdminUserGlobalSignOut') return awsJsonError(400, 'UserNotFoundException');
      if (call.operation === 'AdminDeleteUser') return awsJsonError(400, 'UserNotFoundException');
      return awsJsonError(400, 'NotAuthorizedException');
    });

    await expect(idp.createUser('a@example.test')).rejects.toBeInstanceOf(EmailTakenError);
    await expect(idp.createUser('alias@example.test')).rejects.toBeInstanceOf(EmailTakenError);
    await expect(idp.signOut('a@example.test')).rejects.toBeInstanceOf(IdentityMissingError);
    await expect(idp.deleteUser('a@example.test')).rejects.toBeInstanceOf(IdentityMissingError);
    await expect(idp.enableUser('a@example.test')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('retries throttling (TooManyRequestsException) and then fails with it after three attempts', async () => {
    const { idp, calls } = await provider(() => awsJsonError(400, 'TooManyRequestsException'));
    await expect(idp.enableUser('a@example.test')).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      $metadata: { attempts: 3 },
    });
    expect(calls).toHaveLength(3);
  });

  it.each([
    [
      'LimitExceededException',
      'Exceeded daily email limit for the operation or the account.',
      'email-limit',
      3600,
    ],
    ['CodeDeliveryFailureException', 'Unable to deliver the message.', 'undeliverable', 300],
  ] as const)(
    'answers %s by deleting the user Cognito kept and refusing with InvitationNotSentError',
    async (type, message, failure, retryAfterSeconds) => {
      // Prepare: Cognito keeps the user it created when it cannot send the invitation.
      const { idp, calls } = await provider((call) =>
        call.operation === 'AdminCreateUser' ? awsJsonError(400, type, message) : { status: 200 },
      );

      // Act
      const error = await idp.createUser('new@example.test').catch((e: unknown) => e);

      // Assess: one attempt (a retry would meet the kept user and answer "already exists").
      expect(error).toBeInstanceOf(InvitationNotSentError);
      expect(error).toMatchObject({ failure, status: 503, expose: true, retryAfterSeconds });
      expect((error as Error).message).not.toContain(message);
      expect(calls.map((c) => [c.operation, c.body])).toEqual([
        ['AdminCreateUser', expect.objectContaining({ Username: 'new@example.test' })],
        ['AdminDeleteUser', { UserPoolId: POOL, Username: 'new@example.test' }],
      ]);
    },
  );

  it('refuses with InvitationNotSentError when Cognito had kept no user to delete', async () => {
    const { idp, calls } = await provider((call) =>
      awsJsonError(
        400,
        call.operation === 'AdminCreateUser' ? 'LimitExceededException' : 'UserNotFoundException',
      ),
    );
    await expect(idp.createUser('new@example.test')).rejects.toMatchObject({ failure: 'email-limit' });
    expect(calls.map((c) => c.operation)).toEqual(['AdminCreateUser', 'AdminDeleteUser']);
  });

  it('fails with the clean-up error when the kept user cannot be deleted', async () => {
    const { idp } = await provider((call) =>
      awsJsonError(
        400,
        call.operation === 'AdminCreateUser' ? 'CodeDeliveryFailureException' : 'NotAuthorizedException',
      ),
    );
    await expect(idp.createUser('new@example.test')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });

  it('retries an invitation only when Cognito certainly did not carry it out', async () => {
    // Prepare: throttled (nothing done), then created; then a 500, after which the user may exist.
    const answers: AwsJsonAnswer[] = [
      awsJsonError(400, 'TooManyRequestsException'),
      { status: 200, body: { User: { Attributes: [{ Name: 'sub', Value: 'sub-9' }] } } },
      awsJsonError(500, 'InternalErrorException'),
    ];
    let index = 0;
    const { idp, calls } = await provider(() => answers[index++] ?? { status: 200 });

    // Act
    const created = await idp.createUser('a@example.test');
    const failed = await idp.createUser('b@example.test').catch((e: unknown) => e);

    // Assess
    expect(created).toEqual({ id: 'sub-9' });
    expect(failed).toMatchObject({ name: 'InternalErrorException', $metadata: { attempts: 1 } });
    expect(calls.map((c) => c.body.Username)).toEqual(['a@example.test', 'a@example.test', 'b@example.test']);
  });

  it('tells a request that never left (refused connection, unknown host) from one that may have been carried out', () => {
    const never = (code: string) => new AwsNetworkError('cognito-idp: request failed', code, undefined);
    expect(certainlyNotCarriedOut(never('ECONNREFUSED'))).toBe(true);
    expect(certainlyNotCarriedOut(never('ENOTFOUND'))).toBe(true);
    expect(certainlyNotCarriedOut(never('EAI_AGAIN'))).toBe(true);
    expect(certainlyNotCarriedOut(never('ECONNRESET'))).toBe(false);
    expect(certainlyNotCarriedOut(never('ETIMEDOUT'))).toBe(false);
    expect(
      certainlyNotCarriedOut(new AwsServiceError('TooManyRequestsException', 'Rate exceeded', 400, 'r')),
    ).toBe(true);
    expect(certainlyNotCarriedOut(new AwsServiceError('LimitExceededException', 'limit', 400, 'r'))).toBe(
      false,
    );
    expect(certainlyNotCarriedOut(new AwsServiceError('InternalErrorException', 'x', 500, 'r'))).toBe(false);
    expect(certainlyNotCarriedOut('TooManyRequestsException')).toBe(false);
  });

  it('sends an invitation again with AdminCreateUser RESEND, once', async () => {
    const { idp, calls, refused } = await provider(() => ({ status: 200, body: { User: {} } }));
    await idp.resendInvitation('new@example.test');
    expect(refused).toEqual([]);
    expect(calls.map((c) => [c.target, c.body])).toEqual([
      [
        `${TARGET}.AdminCreateUser`,
        {
          UserPoolId: POOL,
          Username: 'new@example.test',
          MessageAction: 'RESEND',
          DesiredDeliveryMediums: ['EMAIL'],
        },
      ],
    ]);
  });

  it.each([
    ['UnsupportedUserStateException', InvitationAcceptedError],
    ['UserNotFoundException', IdentityMissingError],
    ['LimitExceededException', InvitationNotSentError],
    ['CodeDeliveryFailureException', InvitationNotSentError],
  ] as const)('turns %s on a resend into %o, deleting nobody', async (type, expected) => {
    const { idp, calls } = await provider(() => awsJsonError(400, type));
    await expect(idp.resendInvitation('a@example.test')).rejects.toBeInstanceOf(expected);
    expect(calls.map((c) => c.operation)).toEqual(['AdminCreateUser']);
  });

  it('does not resend after an answer that may mean the e-mail went (a 500)', async () => {
    const { idp, calls } = await provider(() => awsJsonError(500, 'InternalErrorException'));
    await expect(idp.resendInvitation('a@example.test')).rejects.toMatchObject({
      name: 'InternalErrorException',
    });
    expect(calls).toHaveLength(1);
  });

  it('refuses a created user without a sub', async () => {
    const { idp } = await provider(() => ({ status: 200, body: { User: { Attributes: [] } } }));
    await expect(idp.createUser('a@example.test')).rejects.toThrow('no sub');
  });
});

describe('cognitoIdentityProvider.findUnclaimed', () => {
  /** AdminGetUser's answer for a user in `status`, and their groups over `pages` pages. */
  const cognitoWith =
    (status: string, options: { enabled?: boolean; pages?: string[][]; sub?: string | null } = {}) =>
    (call: AwsJsonCall): AwsJsonAnswer => {
      if (call.operation === 'AdminGetUser')
        return {
          status: 200,
          body: {
            Username: 'generated-uuid',
            UserStatus: status,
            Enabled: options.enabled ?? true,
            UserAttributes: [
              { Name: 'email', Value: 'left@example.test' },
              ...(options.sub === null ? [] : [{ Name: 'sub', Value: options.sub ?? 'sub-left' }]),
            ],
          },
        };
      const pages = options.pages ?? [[]];
      const index = typeof call.body.NextToken === 'string' ? Number(call.body.NextToken) : 0;
      return {
        status: 200,
        body: {
          Groups: (pages[index] ?? []).map((GroupName) => ({ GroupName, UserPoolId: POOL })),
          ...(index + 1 < pages.length && { NextToken: String(index + 1) }),
        },
      };
    };

  it('finds a user who never signed in, with every group over all pages, in exact calls', async () => {
    // Prepare
    const { idp, calls, refused } = await provider(
      cognitoWith('FORCE_CHANGE_PASSWORD', { pages: [['admins', 'testers'], ['members']] }),
    );

    // Act
    const found = await idp.findUnclaimed('left@example.test');

    // Assess
    expect(found).toEqual({ id: 'sub-left', groups: ['admins', 'testers', 'members'] });
    expect(refused).toEqual([]);
    const user = { UserPoolId: POOL, Username: 'left@example.test' };
    expect(calls.map((c) => [c.operation, c.body])).toEqual([
      ['AdminGetUser', user],
      ['AdminListGroupsForUser', { ...user, Limit: 60 }],
      ['AdminListGroupsForUser', { ...user, Limit: 60, NextToken: '1' }],
    ]);
  });

  it.each([
    ['has signed in', cognitoWith('CONFIRMED')],
    ['must reset the password', cognitoWith('RESET_REQUIRED')],
    ['was disabled in Cognito', cognitoWith('FORCE_CHANGE_PASSWORD', { enabled: false })],
    ['has no sub', cognitoWith('FORCE_CHANGE_PASSWORD', { sub: null })],
    ['does not exist', () => awsJsonError(400, 'UserNotFoundException', 'User does not exist.')],
  ])('finds nothing when the user %s, and reads no groups', async (_case, answer) => {
    const { idp, calls } = await provider(answer);
    expect(await idp.findUnclaimed('left@example.test')).toBeUndefined();
    expect(calls.map((c) => c.operation)).toEqual(['AdminGetUser']);
  });

  it("fails with Cognito's error for anything else, and stops a group list that never ends", async () => {
    const denied = await provider(() => awsJsonError(400, 'NotAuthorizedException'));
    await expect(denied.idp.findUnclaimed('left@example.test')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    await server?.close();

    const endless = await provider((call) =>
      call.operation === 'AdminGetUser'
        ? cognitoWith('FORCE_CHANGE_PASSWORD')(call)
        : { status: 200, body: { Groups: [{ GroupName: 'members' }], NextToken: 'again' } },
    );
    await expect(endless.idp.findUnclaimed('left@example.test')).rejects.toThrow(/more than 5 pages/);
    expect(endless.calls.filter((c) => c.operation === 'AdminListGroupsForUser')).toHaveLength(5);
  });
});

describe('createCognitoClient', () => {
  it('talks to the local Cognito with the credentials of the environment when an endpoint is set', async () => {
    // Prepare: the server accepts only calls signed with the environment's keys.
    server = await startAwsJsonTestServer({
      service: 'cognito-idp',
      targetPrefix: TARGET,
      answer: () => ({ status: 200 }),
    });
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
    try {
      // Act
      const client = createCognitoClient({ userPoolId: POOL, region: 'eu-west-1', endpoint: server.url });
      await cognitoIdentityProvider(client, POOL).enableUser('a@example.test');

      // Assess
      expect(server.refused).toEqual([]);
      expect(server.calls.map((c) => c.target)).toEqual([`${TARGET}.AdminEnableUser`]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('is refused when the environment has other keys', async () => {
    server = await startAwsJsonTestServer({
      service: 'cognito-idp',
      targetPrefix: TARGET,
      answer: () => ({ status: 200 }),
    });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'someone-else');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'other-secret');
    try {
      const client = createCognitoClient({ userPoolId: POOL, region: 'eu-west-1', endpoint: server.url });
      await expect(cognitoIdentityProvider(client, POOL).enableUser('a')).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
      });
      expect(server.calls).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("talks to Cognito in the pool's region on AWS", () => {
    vi.stubEnv('AWS_ENDPOINT_URL', '');
    vi.stubEnv('AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', '');
    try {
      const client = createCognitoClient({ userPoolId: POOL, region: 'eu-central-1' });
      expect(client.endpoint).toBe('https://cognito-idp.eu-central-1.amazonaws.com/');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
