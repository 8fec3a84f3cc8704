import { getConfig } from '../config';
import type { AwsJsonClient } from './aws-json-client';
import { createCognitoClient } from './cognito-client';

/**
 * An adapter on the configured user pool (the API's configuration: pool, Region, the local
 * emulator's endpoint), made on first use, so declaring it loads nothing and reads no setting.
 */
export function onConfiguredUserPool<T>(make: (client: AwsJsonClient, userPoolId: string) => T): () => T {
  let made: T | undefined;
  return () => {
    if (made === undefined) {
      const config = getConfig();
      made = make(
        createCognitoClient({
          userPoolId: config.COGNITO_USER_POOL_ID,
          region: config.AWS_REGION,
          endpoint: config.COGNITO_ENDPOINT,
        }),
        config.COGNITO_USER_POOL_ID,
      );
    }
    return made;
  };
}
