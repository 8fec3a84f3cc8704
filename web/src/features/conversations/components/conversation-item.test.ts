// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { TITLE_MAX_LENGTH } from '@/features/conversations/api/rename-conversation';
import { ConversationItem, titleLength } from '@/features/conversations/components/conversation-item';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// An emoji beyond the Basic Multilingual Plane: one character, two UTF-16 units.
const EMOJI = '😀';
// "é" typed as e and a combining acute accent: two characters to the API.
const E_ACUTE = 'e\u0301';

const conversation: Conversation = {
  id: 'c1',
  title: 'Trip',
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:00:00.000Z',
  messageCount: 2,
};

let root: Root | undefined;

afterEach(() => {
  if (root) act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
});

/** The item in the sidebar, its title box open, on an API that records the titles it is sent. */
async function renaming() {
  const sent: unknown[] = [];
  const api: ApiClient = {
    async request<T>(_path: string, _schema: unknown, options?: { body?: unknown }): Promise<T> {
      const { title } = options?.body as { title: string };
      sent.push(title);
      // The schema's output type, which a renamed conversation is.
      return { ...conversation, title } as T;
    },
    fetch: () => Promise.reject(new Error('not used')),
  };
  const renamed: string[] = [];
  const container = document.body.appendChild(document.createElement('ul'));
  root = createRoot(container);
  await act(async () =>
    root?.render(
      createElement(ApiClientProvider, {
        client: api,
        children: createElement(ConversationItem, {
          conversation,
          active: false,
          onRenamed: (c: Conversation) => void renamed.push(c.title),
          onDeleteRequested: () => undefined,
        }),
      }),
    ),
  );
  await act(async () => container.querySelector<HTMLButtonElement>('button[title="Rename"]')?.click());
  const input = container.querySelector('input');
  if (!input) throw new Error('the title box did not open');

  /** Types `text` into the box, replacing what was there, as React hears it. */
  const type = (text: string) =>
    act(async () => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  const submit = () =>
    act(async () => {
      input.form?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    });
  const alert = () => container.querySelector('[role="alert"]')?.textContent ?? null;
  return { input, type, submit, alert, sent, renamed };
}

describe('ConversationItem title box', () => {
  it.each([
    ['emoji', EMOJI.repeat(TITLE_MAX_LENGTH)],
    ['letters', 'x'.repeat(TITLE_MAX_LENGTH)],
    ['CJK', '旅'.repeat(TITLE_MAX_LENGTH)],
    ['letters and combining accents', E_ACUTE.repeat(TITLE_MAX_LENGTH / 2)],
    ['letters with spaces around them, trimmed first', ` ${'x'.repeat(TITLE_MAX_LENGTH)}  `],
  ])('sends a title of %s the API takes, whole', async (_case, title) => {
    // Prepare
    const box = await renaming();

    // Act
    await box.type(title);
    await box.submit();

    // Assess: no message, and the title is sent whole (maxLength counted UTF-16 units and cut it)
    expect(box.alert()).toBeNull();
    expect(box.input.hasAttribute('maxlength')).toBe(false);
    expect(box.sent).toEqual([title.trim()]);
    expect(box.renamed).toEqual([title.trim()]);
  });

  it.each([
    ['emoji', EMOJI.repeat(TITLE_MAX_LENGTH + 1), TITLE_MAX_LENGTH + 1],
    ['letters', 'x'.repeat(TITLE_MAX_LENGTH + 1), TITLE_MAX_LENGTH + 1],
    ['letters and combining accents', E_ACUTE.repeat(TITLE_MAX_LENGTH / 2 + 1), TITLE_MAX_LENGTH + 2],
  ])(
    'keeps a title of %s the API refuses as typed, says why and sends nothing',
    async (_case, title, length) => {
      // Prepare
      const box = await renaming();

      // Act
      await box.type(title);
      await box.submit();
      await act(async () => box.input.blur());

      // Assess
      expect(box.alert()).toBe(
        `A title can be at most ${TITLE_MAX_LENGTH} characters; this one has ${length}.`,
      );
      expect(box.input.value).toBe(title);
      expect(box.input.getAttribute('aria-invalid')).toBe('true');
      expect(box.input.getAttribute('aria-describedby')).toBe('rename-c1-error');
      expect(box.sent).toEqual([]);
    },
  );

  it('says nothing more once the title is back within the limit, and sends it', async () => {
    // Prepare
    const box = await renaming();
    await box.type('x'.repeat(TITLE_MAX_LENGTH + 5));

    // Act
    await box.type('x'.repeat(TITLE_MAX_LENGTH));
    await box.submit();

    // Assess
    expect(box.alert()).toBeNull();
    expect(box.sent).toEqual(['x'.repeat(TITLE_MAX_LENGTH)]);
  });
});

describe('ConversationItem title box, text the API refuses', () => {
  it.each([
    ['a zero-width space', '\u200b'],
    ['a Hangul filler and spaces', ' \u3164 '],
    ['a lone combining mark', '\u0301'],
    ['a byte order mark and a word joiner', '\ufeff\u2060'],
    ['a blank Braille pattern', '\u2800'],
  ])(
    'keeps the title when the box holds only %s (it looks empty), and sends nothing',
    async (_case, title) => {
      // Prepare
      const box = await renaming();

      // Act
      await box.type(title);
      await box.submit();

      // Assess: as a box left empty, the rename is given up: nothing sent, nothing to correct
      expect(box.sent).toEqual([]);
      expect(box.renamed).toEqual([]);
      expect(box.alert()).toBeNull();
      expect(box.input.isConnected).toBe(false);
    },
  );

  it.each(['\u202e', '\u2066', '\u202a'])(
    'says a title holding a bidirectional control (%j) cannot be saved, and sends nothing',
    async (control) => {
      // Prepare
      const box = await renaming();

      // Act
      await box.type(`invoice${control}fdp.exe`);
      await box.submit();
      await act(async () => box.input.blur());

      // Assess
      expect(box.alert()).toMatch(/^A title cannot hold direction-changing control characters/);
      expect(box.input.getAttribute('aria-invalid')).toBe('true');
      expect(box.sent).toEqual([]);
    },
  );

  it('sends a title with direction marks, joiners and accents beside visible text', async () => {
    const box = await renaming();

    await box.type('مرحبا\u200f 2026 👨\u200d👩\u200d👧 Cafe\u0301');
    await box.submit();

    expect(box.alert()).toBeNull();
    expect(box.sent).toEqual(['مرحبا\u200f 2026 👨\u200d👩\u200d👧 Cafe\u0301']);
  });
});

describe('titleLength', () => {
  it('counts characters once trimmed, as the API does, not UTF-16 units', () => {
    expect(titleLength(` ${EMOJI}${EMOJI} `)).toBe(2);
    expect(titleLength(E_ACUTE)).toBe(2);
    expect(titleLength('旅行')).toBe(2);
  });
});
