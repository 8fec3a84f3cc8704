import { describe, expect, it } from 'vitest';
import { allowingLimiter, fakeMessages, recordingMetrics, scriptedModel } from '#test/support/fakes/chat';
import { ReplyNotFoundError } from '#feedback/domain/feedback';
import { ConflictError, ValidationError } from '#shared/errors';
import {
  ChatRateLimitedError,
  ConversationBusyError,
  NotLatestReplyError,
  QuotaExceededError,
} from '../domain/message';
import { ModelUnavailableError, type ChatEvent } from '../ports/chat-model';
import { makeRegenerateReply } from './regenerate-reply';
import { makeSendMessage } from './send-message';
import type { ReplyDeps, TurnEvent } from './write-reply';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const conversationId = '00000000-0000-4000-8000-000000000001';
const answer = (text: string): ChatEvent[] => [
  { type: 'delta', text },
  { type: 'usage', promptTokens: 5, completionTokens: 1 },
];

/**
 * A conversation of two turns (each answered by `first`), then the use case under test with the
 * model's next answers from `next`.
 */
async function setUp(
  next: { events: ChatEvent[]; thenThrow?: unknown } = { events: answer('Again') },
  options: { used?: number; allowed?: boolean; firstFails?: boolean } = {},
) {
  // Read at each call: the conversation is written within the quota, the tests then move it.
  const usage = { used: 0 };
  const messages = fakeMessages(usage);
  const script: { events: ChatEvent[]; thenThrow?: unknown } = { events: answer('First') };
  const { model, requests } = scriptedModel(script, ['test-model', 'other-model']);
  const { metrics, recorded } = recordingMetrics();
  const deps: ReplyDeps = {
    messages: messages.repository,
    model,
    limiter: allowingLimiter(true),
    metrics,
    roleQuota: () => 1000,
    contextBudgetTokens: 1000,
    systemPrompt: 'Be brief.',
  };
  const send = makeSendMessage(deps);
  await send(ada, { conversationId, content: 'One' });
  if (options.firstFails) script.thenThrow = new ModelUnavailableError('server-error', 5);
  await send(ada, { conversationId, content: 'Two' });
  script.events = next.events;
  script.thenThrow = next.thenThrow;
  requests.length = 0;
  usage.used = options.used ?? 0;
  recorded.length = 0;
  const regenerate = makeRegenerateReply({ ...deps, limiter: allowingLimiter(options.allowed ?? true) });
  const events: TurnEvent[] = [];
  const last = () => messages.rows.at(-1)?.id ?? '';
  return {
    messages,
    requests,
    recorded,
    events,
    last,
    regenerate: (input: { replyId?: string; model?: string; content?: string } = {}) =>
      regenerate(ada, { conversationId, replyId: input.replyId ?? last(), ...input }, (e) => events.push(e)),
  };
}

describe('regenerateReply', () => {
  it('writes the latest reply again in place, for its question, with the history before it', async () => {
    // Prepare
    const { messages, requests, recorded, events, last, regenerate } = await setUp();
    const replyId = last();

    // Act
    const result = await regenerate();

    // Assess
    expect(requests[0]?.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'One' },
      { role: 'assistant', content: 'First' },
      { role: 'user', content: 'Two' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['message', 'delta', 'done']);
    expect(events[0]).toMatchObject({ message: { id: replyId, status: 'streaming', content: '' } });
    expect(result.assistantMessage).toMatchObject({ id: replyId, status: 'complete', content: 'Again' });
    expect(messages.rows.map((r) => r.content)).toEqual(['One', 'First', 'Two', 'Again']);
    expect(recorded).toContain('call:test-model:5+1');
  });

  it('writes a failed reply again, with another model when asked for', async () => {
    const { messages, requests, regenerate } = await setUp(undefined, { firstFails: true });
    expect(messages.rows.at(-1)?.status).toBe('failed');

    const result = await regenerate({ model: 'other-model' });

    expect(requests[0]?.model).toBe('other-model');
    expect(result.assistantMessage).toMatchObject({
      status: 'complete',
      content: 'Again',
      model: 'other-model',
    });
    expect(messages.rows).toHaveLength(4);
  });

  it('answers the question edited, which replaces the stored one', async () => {
    const { messages, requests, regenerate } = await setUp();

    const result = await regenerate({ content: 'Two, said better' });

    expect(requests[0]?.messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'First' },
      { role: 'user', content: 'Two, said better' },
    ]);
    expect(result.assistantMessage.content).toBe('Again');
    expect(messages.rows.map((r) => r.content)).toEqual(['One', 'First', 'Two, said better', 'Again']);
  });

  it('stores the reply as failed again when the model fails, with the problem as an event', async () => {
    const { messages, events, regenerate } = await setUp({
      events: [],
      thenThrow: new ModelUnavailableError('circuit-open', 9),
    });

    const result = await regenerate();

    expect(result.error).toBeInstanceOf(ModelUnavailableError);
    expect(events.map((e) => e.type)).toEqual(['message', 'error']);
    expect(messages.rows.at(-1)).toMatchObject({ status: 'failed', content: '' });
    expect(messages.rows.map((r) => r.content).slice(0, 3)).toEqual(['One', 'First', 'Two']);
  });

  it('refuses an earlier reply (409), a user message and an unknown id (404), writing nothing', async () => {
    const { messages, requests, regenerate } = await setUp();
    const [question, earlier] = messages.rows;
    const before = structuredClone(messages.rows);

    await expect(regenerate({ replyId: earlier?.id })).rejects.toBeInstanceOf(NotLatestReplyError);
    await expect(regenerate({ replyId: question?.id })).rejects.toBeInstanceOf(ReplyNotFoundError);
    await expect(regenerate({ replyId: crypto.randomUUID() })).rejects.toBeInstanceOf(ReplyNotFoundError);
    expect(messages.rows).toEqual(before);
    expect(requests).toEqual([]);
  });

  it('refuses over the quota or the rate limit and with an unknown model, before touching the reply', async () => {
    for (const [options, input, error] of [
      [{ used: 1000 }, {}, QuotaExceededError],
      [{ allowed: false }, {}, ChatRateLimitedError],
      [{}, { model: 'gpt-unknown' }, ValidationError],
    ] as const) {
      const { messages, requests, regenerate } = await setUp(undefined, options);
      const before = structuredClone(messages.rows);

      await expect(regenerate(input)).rejects.toBeInstanceOf(error);

      expect(messages.rows).toEqual(before);
      expect(requests).toEqual([]);
    }
  });

  it('refuses while the reply is still being written (409)', async () => {
    const { messages, regenerate } = await setUp();
    const last = messages.rows.at(-1);
    if (!last) throw new Error('no reply');
    messages.rows[messages.rows.length - 1] = { ...last, status: 'streaming' };

    await expect(regenerate()).rejects.toBeInstanceOf(ConversationBusyError);
  });

  it('fails a reply that follows no question of the caller (never stored so), without calling the model', async () => {
    const { messages, requests, regenerate } = await setUp();
    messages.repository.startRegeneration = async () => ({
      assistantMessage: { ...(messages.rows.at(-1) as (typeof messages.rows)[number]), status: 'streaming' },
      history: [],
      instructions: null,
    });

    await expect(regenerate()).rejects.toBeInstanceOf(ConflictError);

    expect(requests).toEqual([]);
    expect(messages.rows.at(-1)).toMatchObject({ status: 'failed' });
  });
});
