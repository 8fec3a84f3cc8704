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
 * queueing the `close` event as a task rather than firing it at once.
 */
beforeAll(() => {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    if (!this.open) return;
    this.removeAttribute('open');
    setTimeout(() => this.dispatchEvent(new Event('close')));
  };
});

let root: Root | undefined;

afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
});

function Dialog({ onClose }: { onClose(): void }) {
  const dialog = useModalDialog();
  return createElement('dialog', { ref: dialog, onClose }, 'Delete this conversation?');
}

/** Renders the dialog as main.tsx renders the app, under StrictMode, and returns its element. */
function renderDialog(onClose: () => void, visible = true): HTMLDialogElement | null {
  const container = document.body.appendChild(document.createElement('div'));
  root ??= createRoot(container);
  act(() =>
    root?.render(createElement(StrictMode, null, visible ? createElement(Dialog, { onClose }) : null)),
  );
  return document.querySelector('dialog');
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
});
