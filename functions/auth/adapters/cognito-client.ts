import type { AwsJsonClient } from '#shared/aws/aws-json-client';
import { createCognitoClient, type CognitoSettings } from '#shared/aws/cognito-client';

export type TriggerCognitoOptions = CognitoSettings;

/**
 * The triggers' Cognito client, made on its first call (not at cold start). A trigger has 5 s in
 * all: two attempts at most. Credentials come from the environment: the trigger's role on AWS, the
 * local server's own credentials locally.
 */
export function triggerCognitoClient(options: TriggerCognitoOptions): () => AwsJsonClient {
  let client: AwsJsonClient | undefined;
  return () => (client ??= createCognitoClient(options, { maxAttempts: 2 }));
}
