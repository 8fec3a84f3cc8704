import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useLocation } from 'wouter';

import { Icon } from '@/components/icons';

export interface AppShellProps {
  /** What the sidebar holds below the brand. */
  readonly sidebar: ReactNode;
  readonly children: ReactNode;
}

/**
 * The signed-in frame: the sidebar beside the page. On a narrow screen (a phone) the sidebar is a
 * menu behind a button in a slim top bar, so the page gets the whole width; following a link in
 * the menu, Escape, or a tap beside it closes it.
 */
export function AppShell({ sidebar, children }: AppShellProps) {
  const sidebarId = useId();
  const [location] = useLocation();
  // The path the menu was opened on: moving elsewhere closes it without an effect to sync.
  const [openOn, setOpenOn] = useState<string | null>(null);
  const open = openOn === location;
  const menuButton = useRef<HTMLButtonElement>(null);
  const sidebarRef = useRef<HTMLElement>(null);

  useEffect(() => {
    if (!open) return;
    // Into the menu it opened, for keyboard and screen-reader users; Escape brings them back.
    sidebarRef.current?.querySelector<HTMLElement>('a[href], button, input')?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpenOn(null);
      menuButton.current?.focus();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [open]);

  return (
    <div className={open ? 'layout layout--menu-open' : 'layout'}>
      <header className="mobile-bar">
        <button
          ref={menuButton}
          type="button"
          className="icon-button mobile-bar__menu"
          aria-expanded={open}
          aria-controls={sidebarId}
          aria-label={open ? 'Close the menu' : 'Open the menu'}
          onClick={() => setOpenOn(open ? null : location)}
        >
          <Icon name={open ? 'close' : 'menu'} />
        </button>
        <span className="brand">Parley</span>
      </header>
      <aside id={sidebarId} ref={sidebarRef} className="sidebar" aria-label="Sidebar">
        <div className="sidebar__top">
          <span className="brand">Parley</span>
        </div>
        {sidebar}
      </aside>
      {/* A tap beside the open menu closes it; keyboard users have Escape and the button. */}
      {open && <div className="layout__scrim" aria-hidden="true" onClick={() => setOpenOn(null)} />}
      <main className="main">{children}</main>
    </div>
  );
}
