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

function renderButton(busy: boolean, onCancel: () => void): HTMLButtonElement {
  act(() => root.render(createElement(BusyCancelButton, { busy, onCancel })));
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
});
