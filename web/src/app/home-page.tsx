import { ConversationsPanel } from '@/features/conversations/components/conversations-panel';
import { NoRoleNotice } from '@/features/me/components/no-role-notice';
import { ProfileSummary } from '@/features/me/components/profile-summary';
import { useMe } from '@/features/me/hooks/use-me';

export function HomePage() {
  const meState = useMe();

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
          {(meState.me.role === 'members' || meState.me.role === 'admins') && <ConversationsPanel />}
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
