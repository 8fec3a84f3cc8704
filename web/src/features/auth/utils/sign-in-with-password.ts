import { Amplify } from 'aws-amplify';
import { getCurrentUser, signIn, signOut } from 'aws-amplify/auth';
import type { GetCurrentUserOutput, SignInInput, SignInOutput } from 'aws-amplify/auth';

import { signInAuthFlow } from '@/config/auth-flow';
import { endsSession } from '@/features/auth/utils/auth-events';

/** The Amplify calls a sign-in makes; replaced in tests. */
export interface SignInCalls {
  signIn(input: SignInInput): Promise<SignInOutput>;
  /** Signs out this browser (every tab) only. */
  signOut(): Promise<void>;
  getCurrentUser(): Promise<GetCurrentUserOutput>;
}

const AMPLIFY: SignInCalls = {
  signIn: (input) => signIn(input),
  signOut: () => signOut(),
  getCurrentUser: () => getCurrentUser(),
};

/** What a sign-in answers when a session is already there: nothing more to ask. */
const ALREADY_SIGNED_IN: SignInOutput = { isSignedIn: true, nextStep: { signInStep: 'DONE' } };

/**
 * Starts a sign-in with a name and password, in the flow the runtime config calls for (SRP on AWS,
 * the plain password only against the local emulator). `configureAmplify` sets Amplify's
 * `userPoolEndpoint` from the config's `cognitoEndpoint`, so that is where it is read back.
 */
export async function signInWithPassword(
  username: string,
  password: string,
  calls: SignInCalls = AMPLIFY,
): Promise<SignInOutput> {
  const authFlowType = signInAuthFlow({
    cognitoEndpoint: Amplify.getConfig().Auth?.Cognito.userPoolEndpoint,
  });
  const attempt = () => calls.signIn({ username, password, options: { authFlowType } });
  try {
    return await attempt();
  } catch (caught) {
    if (!(caught instanceof Error && caught.name === 'UserAlreadyAuthenticatedException')) throw caught;
  }
  // Another tab signed in first (every tab shares the session in localStorage). Signing out here
  // would revoke that session for every tab, so a live one is taken up instead; only a session
  // that is over (its refresh token refused, or gone) is cleared to make way for this sign-in.
  try {
    await calls.getCurrentUser();
    return ALREADY_SIGNED_IN;
  } catch (caught) {
    if (!sessionIsOver(caught)) throw caught;
  }
  await calls.signOut();
  return attempt();
}

/** getCurrentUser's answer when the stored session cannot be used any more (not a passing failure). */
function sessionIsOver(error: unknown): boolean {
  return endsSession(error) || (error instanceof Error && error.name === 'UserUnAuthenticatedException');
}
