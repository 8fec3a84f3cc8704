import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * The AWS SDK's default credential provider, as the Lambda bundles have it: the execution role's
 * credentials, which the Lambda runtime puts in the environment. (Our clients, data-api-client.ts
 * and aws-json-client.ts, read them with `fromLambdaEnvironment` directly.) The esbuild alias in
 * lib/constructs/bundling-options.ts puts this module where the clients import
 * `@aws-sdk/credential-provider-node`, whose whole chain (profiles, SSO, STS web identity, the
 * container and instance metadata endpoints, and the nested STS/SSO clients that serve them)
 * would otherwise load in every function for nothing. The local server and the tests keep the
 * SDK's chain.
 */
export function defaultProvider(): AwsCredentialIdentityProvider {
  return async () => fromLambdaEnvironment(process.env);
}

/** The credentials in `env`, or a CredentialsProviderError-like error naming what is missing. */
export function fromLambdaEnvironment(env: NodeJS.ProcessEnv): AwsCredentialIdentity {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    const error = new Error(
      'Unable to find environment variable credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): ' +
        'the Lambda runtime sets them from the execution role',
    );
    error.name = 'CredentialsProviderError';
    throw error;
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
  };
}
