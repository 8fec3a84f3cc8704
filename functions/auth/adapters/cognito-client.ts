import { awsJsonClient, type AwsJsonClient } from '#shared/aws/aws-json-client';

export interface TriggerCognitoOptions {
  readonly userPoolId: string;
  readonly region: string;
  /** The local Cognito's endpoint. @default - AWS */
  readonly endpoint?: string | undefined;
}

/**
 * The triggers' Cognito client, made on its first call (not at cold start). A trigger has 5 s in
 * all: two attempts at most. Credentials come from the environment: the trigger's role on AWS, the
 * local server's own credentials locally.
 */
export function triggerCognitoClient(options: TriggerCognitoOptions): () => AwsJsonClient {
  let client: AwsJsonClient | undefined;
  return () =>
    (client ??= awsJsonClient({
      service: 'cognito-idp',
      targetPrefix: 'AWSCognitoIdentityProviderService',
      region: options.region,
      endpoint: options.endpoint,
      maxAttempts: 2,
    }));
}
