import { useEffect, useId, useRef, useState } from 'react';
import type { MouseEvent, ReactNode } from 'react';
import { useLocation } from 'wouter';

import { Icon } from '@/components/icons';

export interface AppShellProps {
  /** What the sidebar holds below the brand. */
  readonly sidebar: ReactNode;
  readonly children: ReactNode;
  /**
   * Offers "Skip to content" as the first Tab stop, which moves the keyboard past the sidebar into
   * the page: for the console, whose pages start after a dozen sidebar stops (a chat page puts the
   * keyboard in its composer itself).
   * @default false
   */
  readonly skipLink?: boolean;
}

/** When the sidebar is a menu: the width in `styles/index.css`'s phone media query. */
const NARROW = '(max-width: 48rem)';

/**
 * The signed-in frame: the sidebar beside the page. On a narrow screen (a phone) the sidebar is a
 * menu behind a button in a slim top bar, so the page gets the whole width; following a link in
 * the menu, Escape, or a tap beside it closes it. While it is open the page behind it is inert, so
 * the keyboard (Tab) and a screen reader's cursor stay in the menu instead of going unseen behind it.
 */
export function AppShell({ sidebar, children, skipLink = false }: AppShellProps) {
  const sidebarId = useId();
  const mainId = useId();
  const mainRef = useRef<HTMLElement>(null);
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
    // The menu exists only on a narrow screen: widened (a tablet turned), the sidebar sits beside
    // the page again, which must not stay inert behind a menu no longer shown.
    const narrow = typeof window.matchMedia === 'function' ? window.matchMedia(NARROW) : null;
    const onWiden = () => {
      if (!narrow?.matches) setOpenOn(null);
    };
    narrow?.addEventListener('change', onWiden);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      narrow?.removeEventListener('change', onWiden);
      // Closed with the keyboard in it (a tap beside it, a link followed): the menu is hidden, so
      // the keyboard goes back to its button. The page's own effects, which run after this one
      // (the composer of a conversation opened), may take it from there.
      if (sidebarRef.current?.contains(document.activeElement)) menuButton.current?.focus();
    };
  }, [open]);

  const skipToContent = (event: MouseEvent<HTMLAnchorElement>) => {
    // Not the browser's jump to #id: it would put a hash in the app's URL.
    event.preventDefault();
    const page = mainRef.current;
    if (!page) return;
    // Focusable for this move only: a main that stayed so would take the focus on a click on any
    // blank part of the page. The next Tab goes to the page's first stop.
    page.tabIndex = -1;
    page.addEventListener('blur', () => page.removeAttribute('tabindex'), { once: true });
    page.focus();
  };

  return (
    <div className={open ? 'layout layout--menu-open' : 'layout'}>
      {/* Not while the menu is open: the page behind it is inert. */}
      {skipLink && !open && (
        <a href={`#${mainId}`} className="skip-link" onClick={skipToContent}>
          Skip to content
        </a>
      )}
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
      <main id={mainId} ref={mainRef} className="main" inert={open}>
        {children}
      </main>
    </div>
  );
}
