// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { NewPasswordForm } from '@/features/auth/components/new-password-form';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;

beforeEach(() => {
  root = createRoot(document.body.appendChild(document.createElement('div')));
  act(() =>
    root.render(
      createElement(NewPasswordForm, {
        pending: false,
        error: null,
        onSubmit: () => undefined,
        onCancel: () => undefined,
      }),
    ),
  );
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
});

const field = (name: string) => document.querySelector<HTMLInputElement>(`input[name="${name}"]`);

function fill(name: string, value: string) {
  const input = field(name);
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  act(() => {
    setValue?.call(input, value);
    input?.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function submit() {
  act(() =>
    document.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })),
  );
}

/** The text of what a field's aria-describedby points at. */
function description(input: HTMLInputElement | null): string {
  return (input?.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => (id ? document.getElementById(id)?.textContent : ''))
    .join(' ');
}

describe('NewPasswordForm', () => {
  it('ties "not the same" to the repeated password, so going back to that field says what is wrong', () => {
    // Act
    fill('new-password', 'A long passphrase 42!');
    fill('new-password-confirmation', 'A long passphrase 43!');
    submit();

    // Assess
    const alert = document.querySelector('[role=alert]')?.textContent;
    expect(alert).toBe('The two passwords are not the same.');
    expect(field('new-password-confirmation')?.getAttribute('aria-invalid')).toBe('true');
    expect(description(field('new-password-confirmation'))).toContain(alert);
    expect(field('new-password')?.hasAttribute('aria-invalid')).toBe(false);
  });

  it('ties a password that breaks the rules to the new password, not to its repetition', () => {
    fill('new-password', 'short');
    fill('new-password-confirmation', 'short');
    submit();

    const alert = document.querySelector('[role=alert]')?.textContent ?? '';
    expect(alert).toMatch(/^The password needs: /);
    expect(field('new-password')?.getAttribute('aria-invalid')).toBe('true');
    expect(description(field('new-password'))).toContain(alert);
    expect(field('new-password-confirmation')?.hasAttribute('aria-invalid')).toBe(false);
  });
});
