// @vitest-environment jsdom
import { StrictMode, act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { useModalDialog } from '@/lib/use-modal-dialog';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * jsdom has no modal dialogs: showModal() and close() as the HTML standard has them, close()
 * queueing the `close` event as a task rather than firing it at once; showModal() gives the focus
 * to the dialog's first button, close() takes it out of the dialog.
 */
beforeAll(() => {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
    this.querySelector('button')?.focus();
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    if (!this.open) return;
    this.removeAttribute('open');
    if (document.activeElement instanceof HTMLElement && this.contains(document.activeElement)) {
      document.activeElement.blur();
    }
    setTimeout(() => this.dispatchEvent(new Event('close')));
  };
});

let root: Root | undefined;

afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
});

function Dialog({ onClose, busy }: { onClose(): void; busy: boolean }) {
  const dialog = useModalDialog({ busy });
  return createElement(
    'dialog',
    { ref: dialog, onClose },
    'Delete this conversation?',
    createElement('button', { type: 'button' }, 'Cancel'),
    createElement(
      'button',
      { type: 'button', 'aria-disabled': busy || undefined },
      busy ? 'Deleting…' : 'Delete',
    ),
  );
}

/** Renders the dialog as main.tsx renders the app, under StrictMode, and returns its element. */
function renderDialog(onClose: () => void, visible = true, busy = false): HTMLDialogElement | null {
  const container = document.body.appendChild(document.createElement('div'));
  root ??= createRoot(container);
  act(() =>
    root?.render(createElement(StrictMode, null, visible ? createElement(Dialog, { onClose, busy }) : null)),
  );
  return document.querySelector('dialog');
}

/**
 * Escape as the HTML standard has it: `cancel`, then, unless cancelled, close(). `cancellable`
 * false is Chromium's answer to an Escape that follows one already refused without a click or
 * key press between (close watchers): the page cannot keep the dialog open that way.
 */
function pressEscape(dialog: HTMLDialogElement | null, cancellable = true): void {
  act(() => {
    const cancel = new Event('cancel', { cancelable: cancellable });
    dialog?.dispatchEvent(cancel);
    if (!cancel.defaultPrevented) dialog?.close();
  });
}

/** Lets queued tasks (the `close` events) run. */
const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 10)));

describe('useModalDialog', () => {
  it('stays open under StrictMode, whose second run of the effect closes and opens the dialog again', async () => {
    // Prepare
    const onClose = vi.fn();

    // Act
    const dialog = renderDialog(onClose);
    await settle();

    // Assess
    expect(dialog?.open).toBe(true);
    expect(onClose).not.toHaveBeenCalled();
  });

  it("tells the owner when the person closes it (Escape fires the dialog's close)", async () => {
    // Prepare
    const onClose = vi.fn();
    const dialog = renderDialog(onClose);
    await settle();

    // Act
    act(() => dialog?.close());
    await settle();

    // Assess
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('closes the dialog when its owner unmounts it, without calling onClose for that', async () => {
    // Prepare
    const onClose = vi.fn();
    const dialog = renderDialog(onClose);
    await settle();

    // Act
    renderDialog(onClose, false);
    await settle();

    // Assess
    expect(dialog?.open).toBe(false);
    expect(onClose).not.toHaveBeenCalled();
  });

  it('stays open on Escape while busy, and does not tell the owner', async () => {
    // Prepare: the action is in flight
    const onClose = vi.fn();
    const dialog = renderDialog(onClose, true, true);
    await settle();

    // Act
    pressEscape(dialog);
    await settle();

    // Assess
    expect(dialog?.open).toBe(true);
    expect(onClose).not.toHaveBeenCalled();
  });

  it('opens again, with the focus where it was, when the browser closes it while busy anyway', async () => {
    // Prepare: the busy button has the keyboard
    const onClose = vi.fn();
    const dialog = renderDialog(onClose, true, true);
    await settle();
    const busyButton = dialog?.querySelector<HTMLButtonElement>('[aria-disabled="true"]');
    busyButton?.focus();

    // Act: a second Escape, which Chromium does not let the page refuse
    pressEscape(dialog);
    pressEscape(dialog, false);
    await settle();

    // Assess
    expect(dialog?.open).toBe(true);
    expect(document.activeElement).toBe(busyButton);
    expect(onClose).not.toHaveBeenCalled();
  });

  it('closes on Escape again once no longer busy, and tells the owner', async () => {
    // Prepare: busy, then the action ended (with an error shown, say)
    const onClose = vi.fn();
    renderDialog(onClose, true, true);
    const dialog = renderDialog(onClose, true, false);
    await settle();

    // Act
    pressEscape(dialog);
    await settle();

    // Assess
    expect(dialog?.open).toBe(false);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('closes when its owner unmounts it while busy (the action succeeded), without calling onClose', async () => {
    // Prepare
    const onClose = vi.fn();
    const dialog = renderDialog(onClose, true, true);
    await settle();

    // Act
    renderDialog(onClose, false, true);
    await settle();

    // Assess
    expect(dialog?.open).toBe(false);
    expect(onClose).not.toHaveBeenCalled();
  });
});
