import type { Sessions } from '../ports/sessions';
import { triggerCognitoClient, type TriggerCognitoOptions } from './cognito-client';

/** AdminUserGlobalSignOut: revokes every refresh token of the user. */
export function cognitoSessions(options: TriggerCognitoOptions): Sessions {
  const client = triggerCognitoClient(options);
  return {
    async signOutEverywhere(username) {
      await client().call(
        'AdminUserGlobalSignOut',
        { UserPoolId: options.userPoolId, Username: username },
        { signal: AbortSignal.timeout(2_000) },
      );
    },
  };
}
