// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { BusyCancelButton } from '@/components/busy-cancel-button';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;

beforeEach(() => {
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
});

function renderButton(busy: boolean, onCancel: () => void, label?: string): HTMLButtonElement {
  act(() => root.render(createElement(BusyCancelButton, { busy, onCancel, label })));
  const button = document.querySelector('button');
  if (!button) throw new Error('no button');
  return button;
}

describe('BusyCancelButton', () => {
  it('cancels on a click when the dialog is idle', () => {
    // Prepare
    const onCancel = vi.fn();
    const button = renderButton(false, onCancel);

    // Act
    act(() => button.click());

    // Assess
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(button.textContent).toBe('Cancel');
    expect(button.hasAttribute('aria-disabled')).toBe(false);
  });

  it('does nothing on a click while busy, and keeps the focus it has (aria-disabled, not disabled)', () => {
    // Prepare
    const onCancel = vi.fn();
    const button = renderButton(true, onCancel);
    button.focus();

    // Act
    act(() => button.click());

    // Assess
    expect(onCancel).not.toHaveBeenCalled();
    expect(button.getAttribute('aria-disabled')).toBe('true');
    expect(button.disabled).toBe(false);
    expect(document.activeElement).toBe(button);
  });

  it('says its label, and closes on a click only once the dialog is idle again', () => {
    // Prepare: a Close clicked while the dialog's action runs
    const onClose = vi.fn();
    const busy = renderButton(true, onClose, 'Close');
    busy.focus();
    act(() => busy.click());
    expect(onClose).not.toHaveBeenCalled();
    expect(busy.getAttribute('aria-disabled')).toBe('true');
    expect(document.activeElement).toBe(busy);

    // Act: the action has ended
    const idle = renderButton(false, onClose, 'Close');
    act(() => idle.click());

    // Assess: the same button, named Close, now closes
    expect(idle).toBe(busy);
    expect(idle.textContent).toBe('Close');
    expect(idle.hasAttribute('aria-disabled')).toBe(false);
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
