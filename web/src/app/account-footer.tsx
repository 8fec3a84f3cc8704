import { SignOutButton } from '@/features/auth/components/sign-out-button';
import type { SignOutOptions } from '@/features/auth/hooks/use-auth';
import type { Me } from '@/features/me/api/get-me';
import { AccountPanel } from '@/features/me/components/account-panel';
import { ChangePasswordButton } from '@/features/me/components/change-password-button';
import { InstructionsButton } from '@/features/me/components/instructions-button';
import { SignOutEverywhereButton } from '@/features/me/components/sign-out-everywhere-button';

export interface AccountFooterProps {
  readonly me: Me;
  readonly showQuota?: boolean;
  onSignOut(options?: SignOutOptions): Promise<void>;
}

/**
 * The foot of the sidebar: the account, signing out here or on every device, the password, and
 * (for those who chat) their own instructions for the model.
 */
export function AccountFooter({ me, showQuota, onSignOut }: AccountFooterProps) {
  return (
    <div className="sidebar__footer">
      <AccountPanel me={me} showQuota={showQuota} />
      <div className="sidebar__sign-out">
        <SignOutButton onSignOut={() => onSignOut()} />
        <SignOutEverywhereButton onSignedOut={() => onSignOut({ global: true })} />
        <ChangePasswordButton />
        {(me.role === 'members' || me.role === 'admins') && <InstructionsButton />}
      </div>
    </div>
  );
}
