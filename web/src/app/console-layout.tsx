import { Redirect, useLocation } from 'wouter';

import { isConsolePath, paths } from '@/config/paths';
import type { SignOutOptions } from '@/features/auth/hooks/use-auth';
import type { Me } from '@/features/me/api/get-me';
import { AccountFooter } from '@/app/account-footer';
import { AppShell } from '@/app/app-shell';
import { ConsoleLinks } from '@/app/console-links';
import { ConsoleRoutes } from '@/app/console-routes';

export interface ConsoleLayoutProps {
  readonly me: Me;
  onSignOut(options?: SignOutOptions): Promise<void>;
}

/** The signed-in app of auditors, who cannot chat: the console is their home. */
export function ConsoleLayout({ me, onSignOut }: ConsoleLayoutProps) {
  const [location] = useLocation();
  if (!isConsolePath(location)) return <Redirect to={paths.adminUsage} replace />;
  return (
    <AppShell
      skipLink
      sidebar={
        <>
          <ConsoleLinks role={me.role} />
          <div className="sidebar__spacer" />
          <AccountFooter me={me} showQuota={false} onSignOut={onSignOut} />
        </>
      }
    >
      <ConsoleRoutes me={me} />
    </AppShell>
  );
}
