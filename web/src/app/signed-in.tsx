import { IdleWarning } from '@/features/auth/components/idle-warning';
import { SignOutButton } from '@/features/auth/components/sign-out-button';
import { useIdleSignOut } from '@/features/auth/hooks/use-idle-sign-out';
import type { SignOutOptions } from '@/features/auth/hooks/use-auth';
import { SignOutEverywhereButton } from '@/features/me/components/sign-out-everywhere-button';
import { useMe } from '@/features/me/hooks/use-me';
import { ChatLayout } from '@/app/chat-layout';
import { ConsoleLayout } from '@/app/console-layout';
import { HomePage } from '@/app/home-page';

export interface SignedInProps {
  /** What the person typed to sign in. */
  readonly loginId: string;
  onSignOut(options?: SignOutOptions): Promise<void>;
  /** Sign out after this long without activity in any tab (null: never). */
  readonly idleSignOutMs: number | null;
}

/**
 * Members and admins chat (admins with the console beside it); auditors get the console alone;
 * anyone else (no role yet) sees their account and a notice.
 */
export function SignedIn({ loginId, onSignOut, idleSignOutMs }: SignedInProps) {
  const idle = useIdleSignOut(idleSignOutMs, () => void onSignOut({ reason: 'idle' }));
  return (
    <>
      <SignedInViews loginId={loginId} onSignOut={onSignOut} />
      {idle.state.kind === 'warning' && (
        <IdleWarning secondsLeft={idle.state.secondsLeft} onStay={idle.stay} />
      )}
    </>
  );
}

function SignedInViews({ loginId, onSignOut }: Omit<SignedInProps, 'idleSignOutMs'>) {
  const meState = useMe();

  if (meState.status === 'ready' && (meState.me.role === 'members' || meState.me.role === 'admins')) {
    return <ChatLayout me={meState.me} onReplyEnded={meState.refresh} onSignOut={onSignOut} />;
  }
  if (meState.status === 'ready' && meState.me.role === 'auditors') {
    return <ConsoleLayout me={meState.me} onSignOut={onSignOut} />;
  }

  return (
    <>
      <header className="topbar">
        <span className="brand">Parley</span>
        <span className="topbar__user" data-testid="signed-in-as">
          {loginId}
        </span>
        <SignOutEverywhereButton onSignedOut={() => onSignOut({ global: true })} />
        <SignOutButton onSignOut={() => onSignOut()} />
      </header>
      <HomePage meState={meState} />
    </>
  );
}
