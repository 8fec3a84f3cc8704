import { useCallback, useEffect, useState } from 'react';
import { getCurrentUser, signOut } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';

import { noteSignOutReason, takeSignOutReason } from '@/features/auth/utils/sign-out-reason';
import type { SignOutReason } from '@/features/auth/utils/sign-out-reason';

export interface SignedInUser {
  readonly userId: string;
  /** What the person typed to sign in (their email). */
  readonly loginId: string;
}

export type AuthState =
  | { readonly status: 'checking' }
  /** `reason`: why the session ended here, for a notice; null when there was none to end. */
  | { readonly status: 'signed-out'; readonly reason: SignOutReason | null }
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
  /** Why, when not the person's own choice (e.g. `idle`): said above the sign-in form. */
  readonly reason?: SignOutReason;
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
      setState({ status: 'signed-out', reason: null });
    }
  }, []);

  useEffect(() => {
    void refresh();
    return Hub.listen('auth', ({ payload }) => {
      // tokenRefresh_failure: the refresh token expired or was revoked, so the session is over.
      if (payload.event === 'tokenRefresh_failure') {
        takeSignOutReason();
        setState({ status: 'signed-out', reason: 'session-ended' });
      } else if (payload.event === 'signedOut') {
        setState({ status: 'signed-out', reason: takeSignOutReason() ?? 'signed-out' });
      }
    });
  }, [refresh]);

  const signOutNow = useCallback(async (options: SignOutOptions = {}) => {
    const reason: SignOutReason = options.reason ?? (options.global ? 'signed-out-everywhere' : 'signed-out');
    noteSignOutReason(reason);
    try {
      // Amplify still clears the local session when the global call fails (e.g. the token was
      // already revoked by POST /api/me/sign-out), so this never leaves someone half signed in.
      await signOut({ global: options.global ?? false });
    } finally {
      takeSignOutReason();
      setState({ status: 'signed-out', reason });
    }
  }, []);

  return { state, refresh, signOut: signOutNow };
}
