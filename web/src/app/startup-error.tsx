import { ConfigError } from '@/config/env';
import { useDocumentTitle } from '@/lib/use-document-title';

/** Shown when the app cannot even start: no usable /config.json. */
export function StartupError({ error }: { error: unknown }) {
  useDocumentTitle('Could not start');
  const detail =
    error instanceof ConfigError ? error.message : 'An unexpected error stopped the app from starting.';
  return (
    <main className="centered">
      <div className="card auth-card" role="alert">
        <h1>Parley could not start</h1>
        <p>Reload the page in a moment. If this keeps happening, tell your administrator:</p>
        <pre className="startup-error__detail">{detail}</pre>
      </div>
    </main>
  );
}
