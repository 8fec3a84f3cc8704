import { useEffect, useRef } from 'react';

/**
 * A `<dialog>` shown as a modal while its component is mounted (focus kept inside, Escape closes
 * it and fires its `close` event), and closed when it unmounts. Put the ref on the dialog.
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return dialog;
}
