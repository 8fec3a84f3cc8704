// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Composer } from '@/features/chat/components/composer';
import { EditableQuestion } from '@/features/chat/components/editable-question';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Texts the API refuses as empty (400 body.content "must not be empty"): nothing in them shows. */
const INVISIBLE = [
  ['a zero-width space', '\u200b'],
  ['a Hangul filler', '\u3164'],
  ['a lone combining mark', '\u0301'],
  ['a byte order mark, a word joiner and a line break', '\ufeff\u2060\n'],
  ['a blank Braille pattern', '\u2800'],
] as const;

let root: Root;

beforeEach(() => {
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
});

function sendButton(): HTMLButtonElement {
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Send');
  if (!button) throw new Error('no Send button');
  return button;
}

function pressEnter(box: HTMLTextAreaElement | null): void {
  act(() => {
    box?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  });
}

describe('Composer', () => {
  function renderComposer(text: string) {
    const onSend = vi.fn();
    act(() =>
      root.render(
        createElement(Composer, {
          busy: false,
          canStop: false,
          focusKey: 'new',
          text,
          onTextChange: () => undefined,
          onSend,
          onStop: () => undefined,
        }),
      ),
    );
    return onSend;
  }

  it.each(INVISIBLE)('does not send a message of %s only, which the API refuses', (_case, text) => {
    // Prepare
    const onSend = renderComposer(text);

    // Act
    pressEnter(document.querySelector('textarea'));
    act(() => sendButton().click());

    // Assess
    expect(sendButton().disabled).toBe(true);
    expect(onSend).not.toHaveBeenCalled();
  });

  it('sends invisible characters beside visible text (a joiner in an emoji, an accent)', () => {
    const text = 'Family 👨\u200d👩\u200d👧 and cafe\u0301';
    const onSend = renderComposer(text);

    pressEnter(document.querySelector('textarea'));

    expect(sendButton().disabled).toBe(false);
    expect(onSend).toHaveBeenCalledWith(text);
  });
});

describe('EditableQuestion', () => {
  it.each(INVISIBLE)('does not send an edit to %s only', (_case, text) => {
    // Prepare: the question's box opened, and its text replaced
    const onEdit = vi.fn();
    act(() => root.render(createElement(EditableQuestion, { content: 'What is a monad?', onEdit })));
    act(() => document.querySelector<HTMLButtonElement>('[data-testid="edit-question"]')?.click());
    const box = document.querySelector('textarea');
    if (!box) throw new Error('the box did not open');
    act(() => {
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(box, text);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });

    // Assess: Send is disabled
    const send = document.querySelector<HTMLButtonElement>('button[aria-label="Send edited message"]');
    expect(send?.disabled).toBe(true);

    // Act and assess: Enter in a form submits it, which sends nothing
    act(() => box.form?.requestSubmit());
    expect(onEdit).not.toHaveBeenCalled();
  });
});
