import { Amplify } from 'aws-amplify';
import { signIn, signOut } from 'aws-amplify/auth';
import type { SignInOutput } from 'aws-amplify/auth';

import { signInAuthFlow } from '@/config/auth-flow';

/**
 * Starts a sign-in with a name and password, in the flow the runtime config calls for (SRP on AWS,
 * the plain password only against the local emulator). `configureAmplify` sets Amplify's
 * `userPoolEndpoint` from the config's `cognitoEndpoint`, so that is where it is read back.
 */
export async function signInWithPassword(username: string, password: string): Promise<SignInOutput> {
  const authFlowType = signInAuthFlow({
    cognitoEndpoint: Amplify.getConfig().Auth?.Cognito.userPoolEndpoint,
  });
  const attempt = () => signIn({ username, password, options: { authFlowType } });
  try {
    return await attempt();
  } catch (caught) {
    // A stale session left in storage (e.g. a token revoked elsewhere) blocks a new sign-in.
    if (!(caught instanceof Error && caught.name === 'UserAlreadyAuthenticatedException')) throw caught;
    await signOut();
    return attempt();
  }
}
