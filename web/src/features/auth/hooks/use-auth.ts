import { useCallback, useEffect, useState } from 'react';
import { getCurrentUser, signOut } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';

export interface SignedInUser {
  readonly userId: string;
  /** What the person typed to sign in (their email). */
  readonly loginId: string;
}

export type AuthState =
  | { readonly status: 'checking' }
  | { readonly status: 'signed-out' }
  | { readonly status: 'signed-in'; readonly user: SignedInUser };

export interface Auth {
  readonly state: AuthState;
  /** Re-reads the session, e.g. once a sign-in has finished. */
  refresh(): Promise<void>;
  /** `global`: also revoke the refresh tokens of every other device (Cognito GlobalSignOut). */
  signOut(options?: SignOutOptions): Promise<void>;
}

export interface SignOutOptions {
  readonly global?: boolean;
}

/** Whether someone is signed in, kept in step with Amplify's own session events. */
export function useAuth(): Auth {
  const [state, setState] = useState<AuthState>({ status: 'checking' });

  const refresh = useCallback(async () => {
    try {
      const user = await getCurrentUser();
      setState({
        status: 'signed-in',
        user: { userId: user.userId, loginId: user.signInDetails?.loginId ?? user.username },
      });
    } catch {
      setState({ status: 'signed-out' });
    }
  }, []);

  useEffect(() => {
    void refresh();
    return Hub.listen('auth', ({ payload }) => {
      // tokenRefresh_failure: the refresh token expired or was revoked, so the session is over.
      if (payload.event === 'signedOut' || payload.event === 'tokenRefresh_failure') {
        setState({ status: 'signed-out' });
      }
    });
  }, [refresh]);

  const signOutNow = useCallback(async (options: SignOutOptions = {}) => {
    try {
      // Amplify still clears the local session when the global call fails (e.g. the token was
      // already revoked by POST /api/me/sign-out), so this never leaves someone half signed in.
      await signOut({ global: options.global ?? false });
    } finally {
      setState({ status: 'signed-out' });
    }
  }, []);

  return { state, refresh, signOut: signOutNow };
}
