import { SignOutButton } from '@/features/auth/components/sign-out-button';
import { useMe } from '@/features/me/hooks/use-me';
import { ChatLayout } from '@/app/chat-layout';
import { HomePage } from '@/app/home-page';

export interface SignedInProps {
  /** What the person typed to sign in. */
  readonly loginId: string;
  onSignOut(): Promise<void>;
}

/** Members and admins chat; anyone else (auditors, no role yet) sees their account and a notice. */
export function SignedIn({ loginId, onSignOut }: SignedInProps) {
  const meState = useMe();

  if (meState.status === 'ready' && (meState.me.role === 'members' || meState.me.role === 'admins')) {
    return <ChatLayout me={meState.me} onReplyEnded={meState.refresh} onSignOut={onSignOut} />;
  }

  return (
    <>
      <header className="topbar">
        <span className="brand">Parley</span>
        <span className="topbar__user" data-testid="signed-in-as">
          {loginId}
        </span>
        <SignOutButton onSignOut={onSignOut} />
      </header>
      <HomePage meState={meState} />
    </>
  );
}
