// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { MessageBubble } from '@/features/chat/components/message-bubble';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;

beforeEach(() => {
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
  vi.unstubAllGlobals();
});

describe('MessageBubble', () => {
  it("says a reply's Copy went through in a status region that was there before the words", async () => {
    // Prepare: a stored reply, and a clipboard that takes the text
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    act(() =>
      root.render(
        createElement(MessageBubble, { role: 'assistant', content: 'The answer', status: 'complete' }),
      ),
    );
    const footer = document.querySelector('.message__footer');
    const status = footer?.querySelector('[role=status]');
    expect(status?.textContent).toBe('');

    // Act
    await act(async () => document.querySelector<HTMLButtonElement>('[data-testid=copy-reply]')?.click());

    // Assess: the same region, now saying so (a screen reader follows a region it has met)
    expect(writeText).toHaveBeenCalledWith('The answer');
    expect(status?.isConnected).toBe(true);
    expect(status?.textContent).toBe('Copied');
  });

  it.each([
    ['user', 'You said'],
    ['assistant', 'Parley replied'],
  ] as const)(
    'puts a visually hidden h2 before a %s message that names it, for moving by heading',
    (role, name) => {
      // Prepare and act: the message, under the conversation's h1
      act(() =>
        root.render(createElement(MessageBubble, { role, content: 'Some words', status: 'complete' })),
      );

      // Assess: an h2 shown to screen readers only, just before the message, which it names
      const article = document.querySelector('article');
      const heading = article?.previousElementSibling;
      expect(heading?.tagName).toBe('H2');
      expect(heading?.textContent).toBe(name);
      expect(heading?.classList.contains('visually-hidden')).toBe(true);
      expect(heading?.id).not.toBe('');
      expect(article?.getAttribute('aria-labelledby')).toBe(heading?.id);
      // ...and the message's own text is still its words alone (browser tests read it)
      expect(article?.querySelector('h1, h2, h3, h4, h5, h6')).toBeNull();
      expect(article?.querySelector('.message__body')?.textContent).toMatch(/^Some words/);
    },
  );
});
