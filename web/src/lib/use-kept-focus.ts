import { useLayoutEffect, useRef } from 'react';
import type { RefObject } from 'react';

import { focusFirstControl } from '@/lib/use-last-page-focus';

/** Set on a row while the focus is given back to a control of it (see useKeptFocus). */
export const FOCUS_RETURNING = 'data-focus-returning';

interface Focused {
  readonly element: HTMLElement;
  /** The list's child (its row) holding the element, and where it was among them. */
  readonly row: Element;
  readonly index: number;
}

function focusedIn(list: HTMLElement | null): Focused | null {
  const element = document.activeElement;
  if (!list || !(element instanceof HTMLElement) || element === list || !list.contains(element)) return null;
  let row: Element = element;
  while (row.parentElement && row.parentElement !== list) row = row.parentElement;
  return { element, row, index: [...list.children].indexOf(row) };
}

/**
 * The keyboard's place in a list whose items change (`items`: what it shows), e.g. when one moves
 * to the top. React moves the rows it passes out of the page and back, and the focus in one of
 * them falls to the body; React gives it back, but not to a control that is hidden unless its
 * row holds the focus (`:focus-within`), as a row's buttons are: once the focus fell, they are
 * hidden, so not focusable. Here such a control gets it back, its row marked FOCUS_RETURNING for
 * the time of the call, for a style to show it (`[data-focus-returning] …`). When the row itself
 * went (deleted elsewhere), the focus goes to the first link or button of the row now in its
 * place (the next one; the last one at the end of the list). Only focus that was in the list and
 * fell to the body is moved: never focus the person has put somewhere else.
 */
export function useKeptFocus(list: RefObject<HTMLElement | null>, items: unknown): void {
  const before = useRef<Focused | null>(null);
  // Read while rendering, before React changes the page: an effect, even its cleanup, runs after
  // the rows have moved.
  before.current = focusedIn(list.current);

  useLayoutEffect(() => {
    const kept = before.current;
    before.current = null;
    const container = list.current;
    const now = document.activeElement;
    if (!kept || !container || (now !== null && now !== document.body)) return;
    if (kept.element.isConnected) {
      kept.row.setAttribute(FOCUS_RETURNING, '');
      kept.element.focus({ preventScroll: true });
      kept.row.removeAttribute(FOCUS_RETURNING);
    } else if (!kept.row.isConnected) {
      focusFirstControl(container.children, kept.index);
    }
    // Otherwise the row is there and changed itself (a rename box opened or closed): it places the
    // focus itself.
  }, [list, items]);
}
