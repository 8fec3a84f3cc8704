import { useEffect, useRef } from 'react';

/**
 * A `<dialog>` shown as a modal while its component is mounted (focus kept inside, Escape closes
 * it and fires its `close` event), and closed when it unmounts. Put the ref on the dialog.
 *
 * Only a close by the person (Escape, or the browser) reaches the dialog's `onClose`: the close
 * this hook does itself on unmount is not news to the owner. Under `<StrictMode>` (the development
 * server) the effect runs, is cleaned up and runs again at once; the cleanup's `close()` queues a
 * `close` event that would otherwise arrive after the second `showModal()` and have the owner shut
 * the dialog that had just opened.
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (!element.open) element.showModal();
    return () => {
      if (!element.open) return;
      // Capturing at the dialog runs before React's own listener there (the DOM runs capturing
      // listeners at the target first); `once`, because close() of an open dialog fires one event.
      element.addEventListener('close', stopOwnClose, { capture: true, once: true });
      element.close();
    };
  }, []);
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
