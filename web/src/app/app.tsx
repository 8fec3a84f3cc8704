import { useEffect } from 'react';
import { navigate } from 'wouter/use-browser-location';
import { paths } from '@/config/paths';
import { SignInFlow } from '@/features/auth/components/sign-in-flow';
import { useAuth } from '@/features/auth/hooks/use-auth';
import { SignedIn } from '@/app/signed-in';
import type { ApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import { clearDrafts, draftStorage } from '@/features/chat/utils/drafts';

export interface AppProps {
  readonly api: ApiClient;
  /** Sign out after this long without activity (null: never). */
  readonly idleSignOutMs: number | null;
}

export function App({ api, idleSignOutMs }: AppProps) {
  const auth = useAuth({ idleSignOutMs });
  const { state } = auth;
  // Whoever signs in next in this tab never sees the last person's unsent text. The one place
  // drafts are cleared: every end of a session shows the sign-in page (a sign-out here or in
  // another tab, the idle sign-out, a refused refresh), and so does one that ended while the tab
  // was closed, for which no sign-out event ever comes.
  useEffect(() => {
    if (state.status === 'signed-out') clearDrafts(draftStorage());
  }, [state.status]);
  // A session that ended here (signed out, idle, refused) leaves the app's root in the address
  // bar, not the last person's conversation or page: whoever signs in next starts on a new chat.
  // Arriving signed out (no session ended) keeps the address, so a link opened before signing in
  // still leads where it pointed.
  const endedReason = state.status === 'signed-out' ? state.reason : null;
  useEffect(() => {
    if (
      endedReason &&
      `${window.location.pathname}${window.location.search}${window.location.hash}` !== paths.home
    )
      navigate(paths.home, { replace: true });
  }, [endedReason]);

  if (state.status === 'checking') {
    return (
      <main className="centered" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  }

  if (state.status === 'signed-out') {
    return (
      <main className="centered">
        <div className="card auth-card">
          <p className="brand brand--large" aria-hidden="true">
            Parley
          </p>
          <SignInFlow onSignedIn={auth.refresh} signedOutReason={state.reason} />
        </div>
      </main>
    );
  }

  return (
    <ApiClientProvider client={api}>
      {/* Keyed by user, so nothing from one person's session survives into the next one's. */}
      <SignedIn
        key={state.user.userId}
        loginId={state.user.loginId}
        onSignOut={auth.signOut}
        idleSignOutMs={idleSignOutMs}
      />
    </ApiClientProvider>
  );
}
