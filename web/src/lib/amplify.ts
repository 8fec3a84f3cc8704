import { Amplify } from 'aws-amplify';
import { ConsoleLogger } from 'aws-amplify/utils';

import type { RuntimeConfig } from '@/config/env';

export function configureAmplify(config: RuntimeConfig): void {
  const auth = {
    Cognito: {
      userPoolId: config.userPoolId,
      userPoolClientId: config.clientId,
      // Only locally: Amplify then talks to the cognito-local emulator instead of
      // cognito-idp.<region>.amazonaws.com.
      ...(config.cognitoEndpoint ? { userPoolEndpoint: config.cognitoEndpoint } : {}),
    },
  };
  if (!config.cognitoEndpoint) {
    Amplify.configure({ Auth: auth });
    return;
  }
  // With a custom endpoint Amplify warns "You are using a custom Amazon Amazon Cognito User Pool
  // endpoint, ensure the endpoint is correct." on every page load. Locally that endpoint is the
  // point, so the warning is noise that hides real ones: it is held back for this one call
  // (configure is synchronous), and every later warning is shown as usual.
  const level = ConsoleLogger.LOG_LEVEL;
  ConsoleLogger.LOG_LEVEL = 'ERROR';
  try {
    Amplify.configure({ Auth: auth });
  } finally {
    ConsoleLogger.LOG_LEVEL = level;
  }
}
