import type { AwsJsonClient } from '#shared/aws/aws-json-client';
import { retryKindOf } from '#shared/aws/standard-retry';
import { ServiceUnavailableError } from '#shared/errors';
import { loggableErrorMessage } from '#shared/loggable-error';
import { logger } from '#shared/powertools';
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
        logFailure(error);
        throw new ServiceUnavailableError(
          'Signing out everywhere is unavailable for a moment (the identity provider did not answer); try again.',
          RETRY_AFTER_SECONDS,
        );
      }
    },
  };
}

/**
 * The 503 is logged only as a refusal, so the cause is logged here: without it a permanent fault
 * (AccessDeniedException from a missing IAM grant, a wrong pool id) looks like a passing outage.
 * Throttling and 5xx/network errors pass by themselves (WARN); anything else needs a person
 * (ERROR). Name, message and status only: Cognito's messages carry ARNs, never our tokens; the
 * message is cleaned all the same, as every error line's is (a network error may quote a proxy's
 * URL with its credentials).
 */
function logFailure(error: unknown) {
  const { name, message } = error instanceof Error ? error : { name: typeof error, message: String(error) };
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const errorMessage = loggableErrorMessage(name, message);
  const details = { operation: 'AdminUserGlobalSignOut', errorName: name, errorMessage, status };
  if (retryKindOf(error) === 'final') logger.error('Cognito refused to sign a user out everywhere', details);
  else logger.warn('Cognito could not sign a user out everywhere for now', details);
}
