// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import { InstructionsButton } from '@/features/me/components/instructions-button';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** jsdom has no modal dialogs: enough of showModal() and close() for the dialog to open. */
beforeAll(() => {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
});

/** `/api/me/instructions`, faked at fetch: the instructions it keeps, and each PUT body it was sent. */
class FakeInstructionsApi {
  kept: string | null = 'Answer briefly.';
  readonly puts: unknown[] = [];
  /** Set: reads are answered only once it resolves. */
  readsHeld: Promise<void> | null = null;

  readonly fetch = async (_input: URL | RequestInfo, init?: RequestInit): Promise<Response> => {
    if (init?.method !== 'PUT' && this.readsHeld) await this.readsHeld;
    if (init?.method === 'PUT') {
      const body = JSON.parse(String(init.body)) as { instructions: string | null };
      this.puts.push(body);
      this.kept = body.instructions;
    }
    return Response.json({ instructions: this.kept });
  };
}

describe('InstructionsButton', () => {
  let server: FakeInstructionsApi;
  let root: Root;

  beforeEach(() => {
    server = new FakeInstructionsApi();
    root = createRoot(document.body.appendChild(document.createElement('div')));
  });

  afterEach(() => {
    act(() => root.unmount());
    document.body.innerHTML = '';
  });

  async function settle() {
    for (let i = 0; i < 8; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  function press(name: string) {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
    if (!button) throw new Error(`no button ${name}: ${document.body.textContent ?? ''}`);
    act(() => button.click());
  }

  async function openDialog() {
    const api = createApiClient({
      baseUrl: '/api',
      origin: 'http://localhost',
      getAccessToken: async () => 'token',
      fetch: server.fetch,
    });
    const button = createElement(InstructionsButton);
    await act(async () => root.render(createElement(ApiClientProvider, { client: api, children: button })));
    press('Your instructions');
    await settle();
  }

  const textBox = () => document.querySelector<HTMLTextAreaElement>('[data-testid=instructions-text]');
  const status = () => document.querySelector('[role=status]')?.textContent;

  function type(value: string) {
    const box = textBox();
    if (!box) throw new Error('no text box');
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
    act(() => {
      setValue?.call(box, value);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  it('puts the keyboard in the text box once the instructions are loaded', async () => {
    // Act
    await openDialog();

    // Assess: where the person came to write, not on Close (the box is disabled while it loads)
    expect(textBox()?.disabled).toBe(false);
    expect(document.activeElement).toBe(textBox());
  });

  it('leaves the keyboard where the person put it while the instructions were loading', async () => {
    // Prepare: the read held
    let answer: () => void = () => undefined;
    server.readsHeld = new Promise<void>((resolve) => (answer = resolve));
    await openDialog();
    const close = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Close');
    act(() => close?.focus());

    // Act: the instructions come
    answer();
    await settle();

    // Assess
    expect(textBox()?.value).toBe('Answer briefly.');
    expect(document.activeElement).toBe(close);
  });

  it('saves changed instructions and says they apply from the next message', async () => {
    // Prepare
    await openDialog();
    expect(textBox()?.value).toBe('Answer briefly.');
    type('  Answer in French.  ');

    // Act
    press('Save');
    await settle();

    // Assess
    expect(server.puts).toEqual([{ instructions: 'Answer in French.' }]);
    expect(status()).toBe('Saved: they apply from your next message.');
  });

  it('says Removed when the text saved has nothing that shows, as the instructions are then removed', async () => {
    // Prepare: a zero-width space and a Hangul filler, which trim() keeps and nobody sees
    await openDialog();
    type('\u200b\u3164');

    // Act
    press('Save');
    await settle();

    // Assess: removed, and said so
    expect(server.puts).toEqual([{ instructions: null }]);
    expect(status()).toBe('Removed.');
    expect(textBox()?.value).toBe('');
  });
});
