import { NoRoleNotice } from '@/features/me/components/no-role-notice';
import { ProfileSummary } from '@/features/me/components/profile-summary';
import type { Me } from '@/features/me/api/get-me';
import type { MeState } from '@/features/me/hooks/use-me';
import { greetingName } from '@/features/me/utils/greeting-name';
import { useDocumentTitle } from '@/lib/use-document-title';

/**
 * "Hello, Ada", the name in a bidirectional isolate: a Hebrew or Arabic name (or one ending in
 * digits) then takes its own direction without reordering the words around it.
 */
function Greeting({ me }: { me: Me }) {
  const name = greetingName(me);
  if (!name) return 'Hello';
  return (
    <>
      Hello, <bdi>{name}</bdi>
    </>
  );
}

/** The page of someone who may not chat: loading, their account, and what they can do. */
export function HomePage({ meState }: { meState: MeState }) {
  useDocumentTitle('Your account');
  return (
    <main className="page">
      <h1>{meState.status === 'ready' ? <Greeting me={meState.me} /> : 'Welcome'}</h1>
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
