import { lazy, Suspense } from 'react';
import { Redirect, useLocation } from 'wouter';

import type { IconName } from '@/components/icons';
import { paths } from '@/config/paths';
import { NotAllowed } from '@/features/admin/components/not-allowed';
import type { Me, Role } from '@/features/me/api/get-me';
import { unlessReloading } from '@/lib/preload-error';

// The console's pages load when first opened, as their own chunks: most people only chat, and the
// chat page's first load stays small (`npm run build` reports it). A chunk that did not load (a
// tab older than a deploy) reloads the page (main.tsx); meanwhile the page's placeholder stays.
const UsersPage = lazy(() =>
  import('@/features/admin/components/users-page')
    .then(unlessReloading)
    .then((module) => ({ default: module.UsersPage })),
);
const UsagePage = lazy(() =>
  import('@/features/admin/components/usage-page')
    .then(unlessReloading)
    .then((module) => ({ default: module.UsagePage })),
);
const AuditPage = lazy(() =>
  import('@/features/admin/components/audit-page')
    .then(unlessReloading)
    .then((module) => ({ default: module.AuditPage })),
);
const FeedbackPage = lazy(() =>
  import('@/features/admin/components/feedback-page')
    .then(unlessReloading)
    .then((module) => ({ default: module.FeedbackPage })),
);

/** The console's pages and who may open each; the API enforces the same, this only hides. */
export const CONSOLE_PAGES = [
  { path: paths.adminUsers, label: 'Users', icon: 'users', roles: ['admins'] },
  { path: paths.adminUsage, label: 'Usage', icon: 'chart', roles: ['admins', 'auditors'] },
  { path: paths.adminAudit, label: 'Audit log', icon: 'list', roles: ['admins', 'auditors'] },
  { path: paths.adminFeedback, label: 'Feedback', icon: 'thumbsUp', roles: ['admins', 'auditors'] },
] as const satisfies readonly { path: string; label: string; icon: IconName; roles: readonly Role[] }[];

export type ConsolePage = (typeof CONSOLE_PAGES)[number];

export function consolePagesFor(role: Role | null): ConsolePage[] {
  return CONSOLE_PAGES.filter((page) => role !== null && (page.roles as readonly Role[]).includes(role));
}

/** The console page of the URL, or "not allowed" when the role may not see it. */
export function ConsoleRoutes({ me }: { me: Me }) {
  const [location] = useLocation();
  const allowed = consolePagesFor(me.role);
  const page = allowed.find((candidate) => candidate.path === location);

  if (!page) {
    // `/admin` itself, or a page this role may not open.
    const first = allowed[0];
    if (location === paths.adminPrefix && first) return <Redirect to={first.path} replace />;
    return <NotAllowed />;
  }
  return (
    <Suspense
      fallback={
        <p className="muted console__loading" aria-live="polite">
          Loading {page.label.toLowerCase()}…
        </p>
      }
    >
      <ConsolePageView path={page.path} me={me} />
    </Suspense>
  );
}

function ConsolePageView({ path, me }: { path: ConsolePage['path']; me: Me }) {
  switch (path) {
    case paths.adminUsers:
      return <UsersPage />;
    case paths.adminUsage:
      return <UsagePage />;
    case paths.adminAudit:
      return <AuditPage currentUserId={me.id} />;
    case paths.adminFeedback:
      return <FeedbackPage />;
  }
}
