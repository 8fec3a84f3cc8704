import { describe, expect, it, vi } from 'vitest';

import { ValidationError } from '../../shared/errors';
import type { ChatEvent, ChatRequest } from '../ports/chat-model';
import { OFFLINE_LABEL, offlineChatModel, offlineReply, summarise } from './offline-chat-model';

async function collect(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const request = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'offline',
  messages: [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content },
  ],
  ...extra,
});

describe('offlineChatModel', () => {
  it('ends a reply longer than maxReplyTokens there, as a model at its length limit does, and says so', async () => {
    const model = offlineChatModel({ delayMs: 0, maxReplyTokens: 10 });
    const whole = offlineReply(request('Tell me everything'));

    const events = await collect(model.stream(request('Tell me everything')));

    const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThanOrEqual(40);
    expect(whole.startsWith(text)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'usage', completionTokens: 10, truncated: true });
  });

  it('cuts a reply at four bytes of UTF-8 a token, never inside a character outside the Basic Multilingual Plane', async () => {
    // Either parity of the echo's start, and caps that land at every place in the emoji.
    for (const content of ['😀'.repeat(30), `a${'😀'.repeat(30)}`]) {
      for (const cap of [8, 9, 10, 11, 12]) {
        const events = await collect(
          offlineChatModel({ delayMs: 0, maxReplyTokens: cap }).stream(request(content)),
        );
        const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
        // UTF-8 has no lone surrogate: one would come back as U+FFFD.
        expect(Buffer.from(text).toString(), `${content.length} ${cap}`).toBe(text);
        expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(cap * 4 - 3);
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(cap * 4);
      }
    }
  });

  it('writes a reply within maxReplyTokens whole, not truncated', async () => {
    const model = offlineChatModel({ delayMs: 0, maxReplyTokens: 1_000 });

    const events = await collect(model.stream(request('Hi')));

    const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
    expect(text).toBe(offlineReply(request('Hi')));
    expect(events.at(-1)).not.toHaveProperty('truncated');
  });

  it('is the offline kind with the single offline model', () => {
    const model = offlineChatModel();

    expect(model.kind).toBe('offline');
    expect(model.models).toEqual(['offline']);
  });

  it('streams a labelled reply that echoes the last user message, in several small deltas, then usage', async () => {
    // Prepare
    const sleep = vi.fn(async () => {});
    const model = offlineChatModel({ delayMs: 7, sleep });

    // Act
    const events = await collect(model.stream(request('What is the capital of France?')));

    // Assess
    const deltas = events.filter((e) => e.type === 'delta');
    const text = deltas.map((e) => e.text).join('');
    expect(text.startsWith(`${OFFLINE_LABEL} `)).toBe(true);
    expect(text).toContain('“What is the capital of France?”');
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.every((e) => e.text.length <= 20)).toBe(true);
    expect(sleep).toHaveBeenCalledTimes(deltas.length);
    expect(sleep).toHaveBeenCalledWith(7, undefined);
    expect(events.at(-1)).toEqual({
      type: 'usage',
      promptTokens: 4 + Math.ceil('You are helpful.'.length / 4) + 4 + Math.ceil(30 / 4),
      completionTokens: Math.ceil(Buffer.byteLength(text) / 4),
    });
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
  });

  it('gives the same reply to the same request', async () => {
    const model = offlineChatModel({ delayMs: 0 });

    const [first, second] = [
      await collect(model.stream(request('hi'))),
      await collect(model.stream(request('hi'))),
    ];

    expect(second).toEqual(first);
  });

  it('does not pause when the delay is zero', async () => {
    const sleep = vi.fn(async () => {});

    await collect(offlineChatModel({ delayMs: 0, sleep }).stream(request('hi')));

    expect(sleep).not.toHaveBeenCalled();
  });

  it('refuses a model other than offline before streaming anything', async () => {
    const model = offlineChatModel({ delayMs: 0 });

    await expect(collect(model.stream(request('hi', { model: 'gpt-4o' })))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('stops with the abort reason when the signal aborts', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const model = offlineChatModel({ delayMs: 0 });
    const events: ChatEvent[] = [];

    // Act
    const outcome = (async () => {
      for await (const event of model.stream(request('hi', { signal: controller.signal }))) {
        events.push(event);
        if (events.length === 2) controller.abort(reason);
      }
    })();

    // Assess
    await expect(outcome).rejects.toBe(reason);
    expect(events).toHaveLength(2);
  });

  it('says the message was empty when there is no user message', () => {
    expect(offlineReply({ messages: [{ role: 'system', content: 'x' }] })).toContain(
      'Your message was empty.',
    );
  });
});

describe('summarise', () => {
  it('keeps a short message as it is', () => {
    expect(summarise('  Hello   there ')).toBe('Hello there');
  });

  it('puts a message on one line and drops control and invisible formatting characters', () => {
    expect(summarise('line one\nline two\r\n\tend\u0007 \u202Eevil\u200B')).toBe(
      'line one line two end evil',
    );
  });

  it('cuts a long message at 80 characters with an ellipsis, never inside a surrogate pair', () => {
    // Prepare
    const long = '😀'.repeat(100);

    // Act
    const summary = summarise(long);

    // Assess
    expect(Array.from(summary)).toHaveLength(80);
    expect(summary.endsWith('😀…')).toBe(true);
    expect(summary).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('replaces curly quotes so the echo cannot close the quotation early', () => {
    expect(summarise('he said “stop” twice')).toBe('he said "stop" twice');
  });
});
