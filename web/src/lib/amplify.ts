import { Amplify } from 'aws-amplify';

import type { RuntimeConfig } from '@/config/env';

export function configureAmplify(config: RuntimeConfig): void {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.clientId,
        // Only locally: Amplify then talks to the cognito-local emulator instead of
        // cognito-idp.<region>.amazonaws.com.
        ...(config.cognitoEndpoint ? { userPoolEndpoint: config.cognitoEndpoint } : {}),
      },
    },
  });
}
