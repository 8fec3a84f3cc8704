import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';

/**
 * The keyboard's place when a list's last page comes in. The list's "load more" button goes with
 * that page; when it had the keyboard focus, the focus would fall to the top of the page. Instead
 * it goes to what `focus` picks among the items the page brought, from the index of the first of
 * them (`from`; past the end when the page brought none).
 *
 * `anchorOf` is read while the button is still in the page (React calls a ref's cleanup just
 * before it takes the element out; Chromium's blur event then comes too late to tell): what
 * `focus` needs to find the items, such as the list the button belongs to. Returns the ref for
 * the button.
 */
export function useLastPageFocus<Anchor extends Element>(
  list: { readonly status: string; readonly count: number },
  anchorOf: (button: HTMLButtonElement) => Anchor | null,
  focus: (anchor: Anchor, from: number) => void,
): (button: HTMLButtonElement | null) => (() => void) | undefined {
  const { status, count } = list;
  /** How many items were shown when the page being loaded was asked for. */
  const loadingFrom = useRef<number | null>(null);
  /** The anchor, when the button went with the focus on it; null when it did not have it. */
  const leftWithFocus = useRef<Anchor | null>(null);
  // The latest functions, without making the ref callback change (a new one would detach it).
  const latest = useRef({ anchorOf, focus });
  useLayoutEffect(() => {
    latest.current = { anchorOf, focus };
  });

  const button = useCallback((element: HTMLButtonElement | null) => {
    if (!element) return undefined;
    return () => {
      leftWithFocus.current = document.activeElement === element ? latest.current.anchorOf(element) : null;
    };
  }, []);

  useEffect(() => {
    if (status === 'loading-more') {
      loadingFrom.current ??= count;
      return;
    }
    const from = loadingFrom.current;
    const anchor = leftWithFocus.current;
    loadingFrom.current = null;
    leftWithFocus.current = null;
    if (from === null || !anchor?.isConnected) return;
    // Only where the focus fell: never take it from where the person has put it since.
    if (document.activeElement !== null && document.activeElement !== document.body) return;
    latest.current.focus(anchor, from);
  }, [status, count]);

  return button;
}

/** The first link or button of item `from` among `items`, or of the last item if there is none. */
export function focusFirstControl(items: ArrayLike<Element>, from: number): void {
  (items[from] ?? items[items.length - 1])?.querySelector<HTMLElement>('a[href], button')?.focus();
}
