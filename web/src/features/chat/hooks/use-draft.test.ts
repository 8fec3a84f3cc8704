// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Message } from '@/features/chat/api/message-schema';
import { useDraft } from '@/features/chat/hooks/use-draft';
import type { Draft } from '@/features/chat/hooks/use-draft';
import { readDraft } from '@/features/chat/utils/drafts';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const A = 'conversation-a';
const B = 'conversation-b';

let root: Root;
let draft: Draft;

function Probe({ id, messages }: { id: string | null; messages: readonly Message[] }): null {
  draft = useDraft(id, messages);
  return null;
}

function show(id: string | null, messages: readonly Message[] = []) {
  act(() => root.render(createElement(Probe, { id, messages })));
}

function stored(id: string, content: string): Message {
  return {
    id,
    conversationId: A,
    role: 'user',
    content,
    status: 'complete',
    model: null,
    usage: { promptTokens: 0, completionTokens: 0 },
    error: null,
    createdAt: '2026-01-05T10:00:00.000Z',
  };
}

beforeEach(() => {
  sessionStorage.clear();
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

describe('useDraft', () => {
  it('keeps one draft per conversation, and gives it back when the composer comes back', () => {
    // Act: typed in A, then B opened
    show(A);
    act(() => draft.change('For A'));
    show(B);

    // Assess: B does not carry A's draft; A has it again, also after the composer went away
    expect(draft.text).toBe('');
    act(() => draft.change('For B'));
    show(A);
    expect(draft.text).toBe('For A');
    act(() => root.unmount());
    root = createRoot(document.body.appendChild(document.createElement('div')));
    show(B);
    expect(draft.text).toBe('For B');
  });

  it('empties the composer on send but keeps the draft until the server holds the message', () => {
    // Prepare
    show(A);
    act(() => draft.change('Hello'));

    // Act
    act(() => draft.sent('Hello', []));

    // Assess: kept while unsent; gone once the message is among the stored ones
    expect(draft.text).toBe('');
    expect(readDraft(sessionStorage, A)).toBe('Hello');
    show(A, [stored('m1', 'Hello')]);
    expect(readDraft(sessionStorage, A)).toBe('');
  });

  it('takes a message back before what was typed since', () => {
    show(A);
    act(() => draft.change('First'));
    act(() => draft.sent('First', []));
    act(() => draft.change('Second'));

    act(() => draft.takeBack('First'));

    expect(draft.text).toBe('First\n\nSecond');
    expect(readDraft(sessionStorage, A)).toBe('First\n\nSecond');
  });

  it('moves the new chat draft to the conversation it became', () => {
    show(null);
    act(() => draft.change('Started'));
    act(() => draft.sent('Started', []));
    act(() => draft.change('Typed while sending'));

    act(() => draft.move(A));
    show(A);

    expect(draft.text).toBe('Typed while sending');
    expect(readDraft(sessionStorage, A)).toBe('Typed while sending');
    expect(readDraft(sessionStorage, null)).toBe('');
  });

  it('gives the draft of a gone conversation to the new chat, before what was typed there', () => {
    // Prepare: typed for the new chat, then for A, which is then deleted elsewhere
    show(null);
    act(() => draft.change('New thought'));
    show(A);
    act(() => draft.change('For A'));

    // Act
    let kept = false;
    act(() => {
      kept = draft.toNewChat();
    });

    // Assess
    expect(kept).toBe(true);
    expect(draft.text).toBe('');
    expect(readDraft(sessionStorage, A)).toBe('');
    show(null);
    expect(draft.text).toBe('For A\n\nNew thought');
  });

  it('gives nothing to the new chat from a gone conversation with no draft', () => {
    show(A);
    let kept = true;
    act(() => {
      kept = draft.toNewChat();
    });
    expect(kept).toBe(false);
    expect(readDraft(sessionStorage, null)).toBe('');
  });

  it('does not show a sent message again once the server is seen to hold it, after another conversation was opened', () => {
    // Prepare: sent in A, then B opened before the server said it had it, then A again (loading)
    show(A);
    act(() => draft.change('Hello'));
    act(() => draft.sent('Hello', []));
    show(B);
    show(A);

    // Act: A's history shows the message stored
    show(A, [stored('m1', 'Hello')]);

    // Assess
    expect(draft.text).toBe('');
    expect(readDraft(sessionStorage, A)).toBe('');
  });

  it('does not show a sent message again after the composer went away and came back (Search)', () => {
    // Prepare: sent in A, then the view replaced before the server said it had it
    show(A, [stored('m0', 'Earlier')]);
    act(() => draft.change('Hello'));
    act(() => draft.sent('Hello', [stored('m0', 'Earlier')]));
    act(() => root.unmount());
    root = createRoot(document.body.appendChild(document.createElement('div')));
    show(A);
    expect(draft.text).toBe('Hello');

    // Act
    show(A, [stored('m0', 'Earlier'), stored('m1', 'Hello')]);

    // Assess
    expect(draft.text).toBe('');
    expect(readDraft(sessionStorage, A)).toBe('');
  });

  it('keeps a sent message as the draft when the history, read again, does not hold it', () => {
    // Prepare: "Hello" already asked once before; sent again, then the view replaced
    show(A, [stored('m0', 'Hello')]);
    act(() => draft.change('Hello'));
    act(() => draft.sent('Hello', [stored('m0', 'Hello')]));
    act(() => root.unmount());
    root = createRoot(document.body.appendChild(document.createElement('div')));

    // Act: the history holds only the earlier one
    show(A, [stored('m0', 'Hello')]);

    // Assess
    expect(draft.text).toBe('Hello');
    expect(readDraft(sessionStorage, A)).toBe('Hello');
  });

  it('keeps what was typed again after sending, even when it is the same text', () => {
    show(A);
    act(() => draft.change('Yes'));
    act(() => draft.sent('Yes', []));
    act(() => draft.change('Yes'));

    show(A, [stored('m1', 'Yes')]);

    expect(draft.text).toBe('Yes');
  });
});
