import { NoRoleNotice } from '@/features/me/components/no-role-notice';
import { ProfileSummary } from '@/features/me/components/profile-summary';
import type { MeState } from '@/features/me/hooks/use-me';

/** The page of someone who may not chat: loading, their account, and what they can do. */
export function HomePage({ meState }: { meState: MeState }) {
  return (
    <main className="page">
      <h1>
        {meState.status === 'ready' ? `Hello, ${meState.me.displayName || meState.me.email}` : 'Welcome'}
      </h1>
      {meState.status === 'loading' && (
        <p className="muted" aria-live="polite">
          Loading your account…
        </p>
      )}
      {meState.status === 'error' && (
        <p className="error" role="alert">
          Your account could not be loaded. {meState.message}
        </p>
      )}
      {meState.status === 'ready' && (
        <div className="page__grid">
          <ProfileSummary me={meState.me} />
          {meState.me.role === null && <NoRoleNotice />}
          {meState.me.role === 'auditors' && (
            <section className="card notice" aria-labelledby="auditor-heading">
              <h2 id="auditor-heading">Audit and usage</h2>
              <p>As an auditor you will find the audit log and usage reports here soon.</p>
            </section>
          )}
        </div>
      )}
    </main>
  );
}
