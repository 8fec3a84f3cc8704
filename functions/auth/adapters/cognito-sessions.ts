import { awsJsonClient, type AwsJsonClient } from '#shared/aws/aws-json-client';
import type { Sessions } from '../ports/sessions';

export interface CognitoSessionsOptions {
  readonly userPoolId: string;
  readonly region: string;
  /** The local Cognito's endpoint. @default - AWS */
  readonly endpoint?: string | undefined;
}

/**
 * AdminUserGlobalSignOut: revokes every refresh token of the user. Credentials come from the
 * environment: the trigger's role on AWS, the local server's own credentials locally.
 */
export function cognitoSessions(options: CognitoSessionsOptions): Sessions {
  let client: AwsJsonClient | undefined;
  return {
    async signOutEverywhere(username) {
      client ??= awsJsonClient({
        service: 'cognito-idp',
        targetPrefix: 'AWSCognitoIdentityProviderService',
        region: options.region,
        endpoint: options.endpoint,
        // A trigger has 5 s in all.
        maxAttempts: 2,
      });
      await client.call(
        'AdminUserGlobalSignOut',
        { UserPoolId: options.userPoolId, Username: username },
        { signal: AbortSignal.timeout(2_000) },
      );
    },
  };
}
