import { AwsNetworkError, type AwsJsonClient } from '#shared/aws/aws-json-client';
import {
  EmailTakenError,
  IdentityMissingError,
  InvitationAcceptedError,
  InvitationNotSentError,
  type InvitationFailure,
} from '../domain/admin-user';
import type { IdentityProvider } from '../ports/identity-provider';

// The client lives in #shared/aws, beside the triggers' use of it; re-exported for the wiring.
export { createCognitoClient, type CognitoSettings } from '#shared/aws/cognito-client';

type Attributes = readonly { readonly Name?: string; readonly Value?: string }[];

/** AdminCreateUser's answer, as far as it is read. */
interface AdminCreateUserOutput {
  readonly User?: { readonly Attributes?: Attributes };
}

/** AdminGetUser's answer, as far as it is read. */
interface AdminGetUserOutput {
  readonly UserAttributes?: Attributes;
  readonly UserStatus?: string;
  readonly Enabled?: boolean;
}

/** AdminListGroupsForUser's answer, as far as it is read. */
interface AdminListGroupsForUserOutput {
  readonly Groups?: readonly { readonly GroupName?: string }[];
  readonly NextToken?: string;
}

const GROUP_PAGES = 5;

const subOf = (attributes: Attributes | undefined) => attributes?.find((a) => a.Name === 'sub')?.Value;

const named = (error: unknown, name: string) => error instanceof Error && error.name === name;

/** Socket errors raised before a request left this host: refused connection, unresolved name. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether Cognito certainly did not carry out a call: refused for its rate before any work, or
 * never sent. AdminCreateUser is retried on these only: once Cognito has created the user, a
 * retry answers UsernameExistsException, and the invitation would fail as "already exists".
 */
export const certainlyNotCarriedOut = (error: unknown): boolean =>
  named(error, 'TooManyRequestsException') ||
  (error instanceof AwsNetworkError && NEVER_SENT.has(error.code));

/**
 * AdminCreateUser's refusals to send the invitation. Cognito creates the user first and keeps
 * them when the e-mail fails (aws/aws-sdk#438: CodeDeliveryFailureException); the daily limit of
 * its built-in e-mail answers LimitExceededException ("Exceeded daily email limit for the
 * operation or the account").
 */
function invitationFailure(error: unknown): InvitationFailure | undefined {
  if (named(error, 'LimitExceededException')) return 'email-limit';
  if (named(error, 'CodeDeliveryFailureException')) return 'undeliverable';
  return undefined;
}
/**
 * Cognito admin calls. User names are e-mail addresses: the pool signs in by e-mail, and Cognito
 * accepts the alias wherever a user name is asked for (and so does the local emulator, which
 * does not resolve every call by `sub`).
 */
export function cognitoIdentityProvider(client: AwsJsonClient, userPoolId: string): IdentityProvider {
  /** A user the database knows and Cognito does not is a conflict to reconcile, not a 500. */
  const send = async (call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      if (named(error, 'UserNotFoundException')) throw new IdentityMissingError();
      throw error;
    }
  };
  return {
    async createUser(email) {
      let answer: AdminCreateUserOutput;
      try {
        answer = await client.call<object, AdminCreateUserOutput>(
          'AdminCreateUser',
          {
            UserPoolId: userPoolId,
            Username: email,
            UserAttributes: [
              { Name: 'email', Value: email },
              // The invitation goes to this address: reading it proves it.
              { Name: 'email_verified', Value: 'true' },
            ],
            DesiredDeliveryMediums: ['EMAIL'],
          },
          { retryOnly: certainlyNotCarriedOut },
        );
      } catch (error) {
        if (named(error, 'UsernameExistsException') || named(error, 'AliasExistsException'))
          throw new EmailTakenError();
        const failure = invitationFailure(error);
        if (!failure) throw error;
        // Nobody knows the temporary password of the user Cognito may have kept, and the address
        // could not be invited again while they exist. The user name did not exist before this
        // call (it would have answered UsernameExistsException), so this deletes no one else.
        await client
          .call('AdminDeleteUser', { UserPoolId: userPoolId, Username: email })
          .catch((cleanup: unknown) => {
            if (!named(cleanup, 'UserNotFoundException')) throw cleanup;
          });
        throw new InvitationNotSentError(failure);
      }
      const id = subOf(answer.User?.Attributes);
      if (!id) throw new Error('Cognito returned no sub for the new user');
      return { id };
    },
    async findUnclaimed(email) {
      let user: AdminGetUserOutput;
      try {
        user = await client.call<object, AdminGetUserOutput>('AdminGetUser', {
          UserPoolId: userPoolId,
          Username: email,
        });
      } catch (error) {
        if (named(error, 'UserNotFoundException')) return undefined;
        throw error;
      }
      const id = subOf(user.UserAttributes);
      if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD' || user.Enabled === false || !id) return undefined;
      const groups: string[] = [];
      let nextToken: string | undefined;
      // A user is in at most 100 groups (Cognito's quota): two pages of 60; the bound stops a loop.
      for (let pages = 0; pages < GROUP_PAGES; pages += 1) {
        const page: AdminListGroupsForUserOutput = await client.call<object, AdminListGroupsForUserOutput>(
          'AdminListGroupsForUser',
          { UserPoolId: userPoolId, Username: email, Limit: 60, ...(nextToken && { NextToken: nextToken }) },
        );
        for (const group of page.Groups ?? []) if (group.GroupName) groups.push(group.GroupName);
        nextToken = page.NextToken;
        if (!nextToken) return { id, groups };
      }
      throw new Error(`AdminListGroupsForUser gave more than ${GROUP_PAGES} pages`);
    },
    async resendInvitation(username) {
      try {
        await client.call(
          'AdminCreateUser',
          {
            UserPoolId: userPoolId,
            Username: username,
            MessageAction: 'RESEND',
            DesiredDeliveryMediums: ['EMAIL'],
          },
          // Each attempt Cognito carries out e-mails a new password: one, unless it surely did not.
          { retryOnly: certainlyNotCarriedOut },
        );
      } catch (error) {
        if (named(error, 'UserNotFoundException')) throw new IdentityMissingError();
        // RESEND is for a user still in FORCE_CHANGE_PASSWORD.
        if (named(error, 'UnsupportedUserStateException')) throw new InvitationAcceptedError();
        const failure = invitationFailure(error);
        if (failure) throw new InvitationNotSentError(failure);
        throw error;
      }
    },
    async deleteUser(username) {
      await send(() => client.call('AdminDeleteUser', { UserPoolId: userPoolId, Username: username }));
    },
    async addToGroup(username, group) {
      await send(() =>
        client.call('AdminAddUserToGroup', { UserPoolId: userPoolId, Username: username, GroupName: group }),
      );
    },
    async removeFromGroup(username, group) {
      await send(() =>
        client.call('AdminRemoveUserFromGroup', {
          UserPoolId: userPoolId,
          Username: username,
          GroupName: group,
        }),
      );
    },
    async enableUser(username) {
      await send(() => client.call('AdminEnableUser', { UserPoolId: userPoolId, Username: username }));
    },
    async signOut(username) {
      await send(() => client.call('AdminUserGlobalSignOut', { UserPoolId: userPoolId, Username: username }));
    },
    async setTotpMfa(username, enabled) {
      await send(() =>
        client.call('AdminSetUserMFAPreference', {
          UserPoolId: userPoolId,
          Username: username,
          SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
        }),
      );
    },
  };
}
