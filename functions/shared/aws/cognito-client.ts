import { awsJsonClient, type AwsJsonClient } from './aws-json-client';

export interface CognitoSettings {
  readonly userPoolId: string;
  readonly region: string;
  /** The local emulator's endpoint (cognito-local behind our proxy). @default - AWS */
  readonly endpoint?: string | undefined;
}

/**
 * A Cognito user pools client for the pool's region, or for the local Cognito (our awsJson1.1
 * client on fetch, not the SDK's, whose middleware was a fifth of the admin bundle). Credentials
 * come from the environment in both places: the function's role on AWS; locally, the credentials
 * the local server made at start and put in its environment (the local Cognito refuses unsigned
 * admin calls).
 */
export function createCognitoClient(
  settings: CognitoSettings,
  options: { readonly maxAttempts?: number } = {},
): AwsJsonClient {
  return awsJsonClient({
    service: 'cognito-idp',
    targetPrefix: 'AWSCognitoIdentityProviderService',
    region: settings.region,
    endpoint: settings.endpoint,
    ...options,
  });
}
