import { NoRoleNotice } from '@/features/me/components/no-role-notice';
import { ProfileSummary } from '@/features/me/components/profile-summary';
import type { MeState } from '@/features/me/hooks/use-me';
import { greeting } from '@/features/me/utils/greeting-name';

/** The page of someone who may not chat: loading, their account, and what they can do. */
export function HomePage({ meState }: { meState: MeState }) {
  return (
    <main className="page">
      <h1>{meState.status === 'ready' ? greeting(meState.me) : 'Welcome'}</h1>
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
        </div>
      )}
    </main>
  );
}
