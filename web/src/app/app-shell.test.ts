// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { AppShell } from '@/app/app-shell';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;

beforeEach(() => {
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
  vi.unstubAllGlobals();
});

function renderShell(props: { skipLink?: boolean } = {}) {
  act(() =>
    root.render(
      createElement(AppShell, {
        ...props,
        sidebar: createElement('button', { type: 'button' }, 'In the menu'),
        children: createElement('button', { type: 'button' }, 'On the page'),
      }),
    ),
  );
}

const menuButton = () => document.querySelector<HTMLButtonElement>('.mobile-bar__menu');
const main = () => document.querySelector('main');

function click(element: Element | null) {
  if (!element) throw new Error('nothing to click');
  act(() => element.dispatchEvent(new MouseEvent('click', { bubbles: true })));
}

/** A phone's screen, as `matchMedia` tells it, that can be widened (a tablet turned). */
function narrowScreen() {
  const listeners = new Set<() => void>();
  const query = {
    matches: true,
    addEventListener: (_type: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_type: string, listener: () => void) => listeners.delete(listener),
  };
  vi.stubGlobal('matchMedia', () => query);
  return {
    widen() {
      query.matches = false;
      act(() => listeners.forEach((listener) => listener()));
    },
  };
}

describe('AppShell on a phone', () => {
  it('makes the page behind the open menu inert, so the keyboard cannot go behind the menu', () => {
    // Prepare
    renderShell();
    expect(main()?.hasAttribute('inert')).toBe(false);

    // Act
    click(menuButton());

    // Assess: the page cannot be focused; the menu can
    expect(main()?.hasAttribute('inert')).toBe(true);
    expect(document.activeElement?.textContent).toBe('In the menu');

    // ...and it can again once the menu is closed
    click(menuButton());
    expect(main()?.hasAttribute('inert')).toBe(false);
  });

  it('gives the keyboard back to the menu button when a tap beside the menu closes it, not to a hidden item', () => {
    // Prepare: the menu open, the keyboard in it
    renderShell();
    click(menuButton());
    expect(document.activeElement?.textContent).toBe('In the menu');

    // Act
    click(document.querySelector('.layout__scrim'));

    // Assess
    expect(main()?.hasAttribute('inert')).toBe(false);
    expect(document.activeElement).toBe(menuButton());
  });

  it('closes the menu when the screen widens, so the page beside the sidebar is not left inert', () => {
    // Prepare
    const screen = narrowScreen();
    renderShell();
    click(menuButton());
    expect(main()?.hasAttribute('inert')).toBe(true);

    // Act: a tablet turned to landscape
    screen.widen();

    // Assess
    expect(main()?.hasAttribute('inert')).toBe(false);
    expect(menuButton()?.getAttribute('aria-expanded')).toBe('false');
  });
});

describe('AppShell with a skip link (the console)', () => {
  const skipLink = () => document.querySelector<HTMLAnchorElement>('a.skip-link');

  it('offers "Skip to content" as the first Tab stop, before the menu button and the sidebar', () => {
    // Prepare and act
    renderShell({ skipLink: true });

    // Assess: the first focusable element, hidden until focused (by its class)
    const first = document.querySelector('a[href], button, input, [tabindex]');
    expect(first).toBe(skipLink());
    expect(first?.textContent).toBe('Skip to content');
  });

  it("moves the keyboard into the page, so the next Tab is the page's first stop", () => {
    // Prepare
    renderShell({ skipLink: true });
    skipLink()?.focus();

    // Act: Enter on a link is a click
    click(skipLink());

    // Assess: the focus is on the page itself, not on the sidebar or the menu button
    expect(document.activeElement).toBe(main());
    expect(location.hash).toBe('');

    // ...and the page is focusable for that move only: a click on its blank parts later does not focus it
    act(() => document.querySelector<HTMLButtonElement>('main button')?.focus());
    expect(main()?.hasAttribute('tabindex')).toBe(false);
  });

  it('is not there on the chat pages, whose keyboard starts in the composer', () => {
    renderShell();

    expect(skipLink()).toBeNull();
  });
});
