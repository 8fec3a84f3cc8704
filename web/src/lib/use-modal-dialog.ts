import { useEffect, useRef } from 'react';

export interface ModalDialogOptions {
  /**
   * The dialog's action is in flight (its buttons are busy): Escape, and any other close by the
   * browser, leaves it open, so the person sees how the action ends (or its error).
   * @default false
   */
  readonly busy?: boolean;
}

/**
 * A `<dialog>` shown as a modal while its component is mounted (focus kept inside, Escape closes
 * it and fires its `close` event, unless it is busy), and closed when it unmounts. Put the ref on
 * the dialog.
 *
 * Only a close by the person (Escape, or the browser) reaches the dialog's `onClose`: the close
 * this hook does itself on unmount is not news to the owner. Under `<StrictMode>` (the development
 * server) the effect runs, is cleaned up and runs again at once; the cleanup's `close()` queues a
 * `close` event that would otherwise arrive after the second `showModal()` and have the owner shut
 * the dialog that had just opened.
 */
export function useModalDialog({ busy = false }: ModalDialogOptions = {}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    // What had the focus before the dialog: a close by the browser (Escape) gives it back, but
    // the owner's close (a Close or Cancel button, a done action) unmounts the dialog, which
    // takes the focus off the page.
    const opener = document.activeElement;
    if (!element.open) element.showModal();
    return () => {
      if (element.open) {
        // Capturing at the dialog runs before React's own listener there (the DOM runs capturing
        // listeners at the target first); `once`, because close() of an open dialog fires one event.
        element.addEventListener('close', stopOwnClose, { capture: true, once: true });
        element.close();
      }
      // The focus left with the dialog: back to what opened it, if it is still there (the
      // owner may move it on afterwards, e.g. to the next row once one was erased).
      const focused = document.activeElement;
      if (
        (focused === null || focused === document.body) &&
        opener instanceof HTMLElement &&
        opener.isConnected
      ) {
        opener.focus();
      }
    };
  }, []);
  useEffect(() => {
    const element = dialog.current;
    if (!busy || !element) return;
    const stayOpen = new StayOpen(element);
    element.addEventListener('cancel', stayOpen.cancel);
    element.addEventListener('close', stayOpen.close, { capture: true });
    return () => {
      element.removeEventListener('cancel', stayOpen.cancel);
      element.removeEventListener('close', stayOpen.close, { capture: true });
    };
  }, [busy]);
  return dialog;
}

/**
 * Keeps the event of the hook's own close() from the owner: it arrives when the dialog is open
 * again (StrictMode's second run) or gone from the page (unmounted). A close that left the dialog
 * shut and on the page is the person's, and goes through.
 */
function stopOwnClose(event: Event): void {
  const element = event.currentTarget as HTMLDialogElement;
  if (element.open || !element.isConnected) event.stopImmediatePropagation();
}

/**
 * A busy dialog's answer to Escape. Cancelling the `cancel` event is not enough: browsers with
 * close watchers (Chromium) let a page refuse Escape only once per user activation, so a second
 * Escape fires a `cancel` that cannot be cancelled and closes the dialog anyway. That close (or
 * any other by the browser) is undone: the dialog opens again, with the focus where it was, and
 * the owner does not hear of it.
 */
class StayOpen {
  /** What had the keyboard focus in the dialog when Escape came. */
  private focused: HTMLElement | null = null;

  constructor(private readonly element: HTMLDialogElement) {}

  readonly cancel = (event: Event): void => {
    const active = document.activeElement;
    this.focused = active instanceof HTMLElement && this.element.contains(active) ? active : null;
    event.preventDefault();
  };

  readonly close = (event: Event): void => {
    // Open again (StrictMode's second run) or gone from the page: the hook's own close.
    if (this.element.open || !this.element.isConnected) return;
    event.stopImmediatePropagation();
    this.element.showModal();
    this.focused?.focus();
    this.focused = null;
  };
}
