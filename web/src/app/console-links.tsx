import { Link, useLocation } from 'wouter';

import { Icon } from '@/components/icons';
import type { Role } from '@/features/me/api/get-me';
import { consolePagesFor } from '@/app/console-routes';

/** The sidebar links to the console pages this role may open; nothing for members. */
export function ConsoleLinks({ role }: { role: Role | null }) {
  const [location] = useLocation();
  const pages = consolePagesFor(role);
  if (pages.length === 0) return null;
  return (
    <nav className="sidebar__console" aria-label="Administration">
      <p className="sidebar__heading">Administration</p>
      {pages.map((page) => (
        <Link
          key={page.path}
          href={page.path}
          className="sidebar__link"
          aria-current={location === page.path ? 'page' : undefined}
        >
          <Icon name={page.icon} /> {page.label}
        </Link>
      ))}
    </nav>
  );
}
