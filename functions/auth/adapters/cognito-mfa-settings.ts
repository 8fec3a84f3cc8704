import { awsJsonClient, type AwsJsonClient } from '#shared/aws/aws-json-client';
import { logger } from '#shared/powertools';
import type { MfaSettings } from '../ports/mfa-settings';

export interface CognitoMfaSettingsOptions {
  readonly userPoolId: string;
  readonly region: string;
  /** The local Cognito's endpoint. @default - AWS */
  readonly endpoint?: string | undefined;
}

/** AdminGetUser's answer, as far as it is read. */
interface AdminGetUserOutput {
  readonly UserMFASettingList?: readonly string[];
}

/**
 * The user's MFA settings from Cognito (AdminGetUser: `UserMFASettingList`). Cognito tells no
 * trigger whether a user has MFA, so post-authentication asks. Credentials come from the
 * environment: the trigger's role on AWS, the local server's own credentials locally.
 */
export function cognitoMfaSettings(options: CognitoMfaSettingsOptions): MfaSettings {
  let client: AwsJsonClient | undefined;
  return {
    async totpEnabled(username) {
      client ??= awsJsonClient({
        service: 'cognito-idp',
        targetPrefix: 'AWSCognitoIdentityProviderService',
        region: options.region,
        endpoint: options.endpoint,
        // A trigger has 5 s in all: one quick try, then the stored value stands.
        maxAttempts: 2,
      });
      try {
        const user = await client.call<object, AdminGetUserOutput>(
          'AdminGetUser',
          { UserPoolId: options.userPoolId, Username: username },
          { signal: AbortSignal.timeout(1_500) },
        );
        return (user.UserMFASettingList ?? []).includes('SOFTWARE_TOKEN_MFA');
      } catch (error) {
        logger.warn('could not read the MFA settings; the stored value stands', { error: error as Error });
        return undefined;
      }
    },
  };
}
