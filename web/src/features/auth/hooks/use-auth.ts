import { useCallback, useEffect, useState } from 'react';
import { getCurrentUser, signOut } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';

import { authEventAction } from '@/features/auth/utils/auth-events';
import { idleOnArrival } from '@/features/auth/utils/idle';
import { sharedStorage } from '@/features/auth/utils/shared-storage';
import {
  noteSignOutReason,
  sharedSignOutReason,
  takeSignOutReason,
} from '@/features/auth/utils/sign-out-reason';
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

export interface AuthOptions {
  /**
   * The idle sign-out (null: never): a session found on opening the app whose last activity in
   * any tab is older than this ends before anything signed-in shows.
   */
  readonly idleSignOutMs?: number | null;
}

/** Whether someone is signed in, kept in step with Amplify's own session events. */
export function useAuth(options: AuthOptions = {}): Auth {
  const [state, setState] = useState<AuthState>({ status: 'checking' });
  const idleSignOutMs = options.idleSignOutMs ?? null;

  /** Drops the stored session here (Amplify's signedOut event then tells every tab). */
  const endSession = useCallback((reason: SignOutReason) => {
    setState({ status: 'signed-out', reason });
    noteSignOutReason(reason);
    void signOut()
      .catch(() => undefined)
      .finally(() => takeSignOutReason());
  }, []);

  const refresh = useCallback(async () => {
    let user: Awaited<ReturnType<typeof getCurrentUser>>;
    try {
      user = await getCurrentUser();
    } catch {
      setState({ status: 'signed-out', reason: null });
      return;
    }
    if (idleOnArrival(sharedStorage(), Date.now(), idleSignOutMs)) {
      endSession('idle');
      return;
    }
    setState({
      status: 'signed-in',
      user: { userId: user.userId, loginId: user.signInDetails?.loginId ?? user.username },
    });
  }, [idleSignOutMs, endSession]);

  useEffect(() => {
    void refresh();
    // Cross-tab events are opt-in: without them a sign-in or sign-out in another tab (which
    // shares the session in localStorage) would go unnoticed here.
    return Hub.listen(
      'auth',
      ({ payload }) => {
        const action = authEventAction(payload);
        switch (action.kind) {
          case 'refresh':
            // Signed in here, or in another tab: a tab still on the sign-in form follows.
            void refresh();
            return;
          case 'end-session':
            // Amplify clears the tokens itself for these errors; signing out makes sure of it and
            // tells the other tabs.
            endSession('session-ended');
            return;
          case 'signed-out':
            setState({
              status: 'signed-out',
              reason: takeSignOutReason() ?? sharedSignOutReason(sharedStorage(), Date.now()) ?? 'signed-out',
            });
            return;
          case 'none':
            return;
        }
      },
      { listenerName: 'parley-auth', enableCrossTabEvents: true },
    );
  }, [refresh, endSession]);

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
