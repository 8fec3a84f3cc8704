import { logger } from '#shared/powertools';
import type { MfaSettings } from '../ports/mfa-settings';
import { triggerCognitoClient, type TriggerCognitoOptions } from './cognito-client';

/** AdminGetUser's answer, as far as it is read. */
interface AdminGetUserOutput {
  readonly UserMFASettingList?: readonly string[];
}

/**
 * The user's MFA settings from Cognito (AdminGetUser: `UserMFASettingList`). Cognito tells no
 * trigger whether a user has MFA, so post-authentication asks. Credentials come from the
 * environment: the trigger's role on AWS, the local server's own credentials locally.
 */
export function cognitoMfaSettings(options: TriggerCognitoOptions): MfaSettings {
  const client = triggerCognitoClient(options);
  return {
    async totpEnabled(username) {
      try {
        // One quick try (the trigger's 5 s), then the stored value stands.
        const user = await client().call<object, AdminGetUserOutput>(
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
