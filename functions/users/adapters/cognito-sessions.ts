import type { AwsJsonClient } from '#shared/aws/aws-json-client';
import { ServiceUnavailableError } from '#shared/errors';
import type { Sessions } from '../ports/sessions';

/**
 * AdminUserGlobalSignOut: Cognito revokes the user's refresh tokens (no device mints another
 * access token with them). A user unknown to Cognito has no session left to end; any other
 * failure (after the client's own retries) is a moment to wait: 503 with Retry-After, nothing
 * recorded, so the person can press the button again.
 */
const RETRY_AFTER_SECONDS = 5;

export function cognitoSessions(client: AwsJsonClient, userPoolId: string): Sessions {
  return {
    async signOutEverywhere(username) {
      try {
        await client.call('AdminUserGlobalSignOut', { UserPoolId: userPoolId, Username: username });
      } catch (error) {
        if (error instanceof Error && error.name === 'UserNotFoundException') return;
        throw new ServiceUnavailableError(
          'Signing out everywhere is unavailable for a moment (the identity provider did not answer); try again.',
          RETRY_AFTER_SECONDS,
        );
      }
    },
  };
}
