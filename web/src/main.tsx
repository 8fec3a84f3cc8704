import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { signOut } from 'aws-amplify/auth';

import '@/styles/index.css';
import { App } from '@/app/app';
import { ErrorBoundary } from '@/app/error-boundary';
import { noteSignOutReason } from '@/features/auth/utils/sign-out-reason';
import { StartupError } from '@/app/startup-error';
import { idleSignOutMs, loadConfig } from '@/config/env';
import { createApiClient } from '@/lib/api-client';
import { configureAmplify } from '@/lib/amplify';
import { reloadOnceForPreloadError } from '@/lib/preload-error';

// A lazy page whose chunk did not load (a tab opened before a deploy): reload once rather than
// show the error page; drafts live in sessionStorage and survive the reload.
window.addEventListener('vite:preloadError', (event) => {
  const reloaded = reloadOnceForPreloadError({
    storage: window.sessionStorage,
    now: Date.now,
    reload: () => window.location.reload(),
  });
  if (reloaded) event.preventDefault();
});

async function start(): Promise<void> {
  const container = document.getElementById('root');
  if (!container) throw new Error('index.html has no #root element');
  const root = createRoot(container);

  try {
    const config = await loadConfig();
    configureAmplify(config);
    const api = createApiClient({
      baseUrl: config.apiUrl,
      // The API refused a token Amplify still holds (revoked, or the user was signed out
      // everywhere): drop the session, and the 'signedOut' event takes the app to the sign-in form.
      onUnauthorized: () => {
        noteSignOutReason('session-ended');
        void signOut();
      },
    });
    root.render(
      <StrictMode>
        <ErrorBoundary>
          <App api={api} idleSignOutMs={idleSignOutMs(config)} />
        </ErrorBoundary>
      </StrictMode>,
    );
  } catch (error) {
    console.error(error);
    root.render(<StartupError error={error} />);
  }
}

void start();
