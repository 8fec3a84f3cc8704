import { describe, expect, it } from 'vitest';
import { allowingLimiter, fakeMessages, recordingMetrics, scriptedModel } from '#test/support/fakes/chat';
import { ServiceUnavailableError, ValidationError } from '#shared/errors';
import type { ChatMetrics } from '../ports/chat-metrics';
import { ChatRateLimitedError, ConversationBusyError, QuotaExceededError } from '../domain/message';
import { ModelStreamError, ModelUnavailableError, type ChatEvent, type ChatModel } from '../ports/chat-model';
import { makeSendMessage } from './send-message';
import type { TurnEvent } from './write-reply';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const conversationId = '00000000-0000-4000-8000-000000000001';
const reply: ChatEvent[] = [
  { type: 'delta', text: 'Hel' },
  { type: 'delta', text: 'lo' },
  { type: 'usage', promptTokens: 7, completionTokens: 2 },
];

/**
 * The use case with what most tests leave as it is: every message allowed, its reports recorded,
 * 1,000 tokens a month, a 1,000-token context and no system prompt.
 */
function sendMessageWith(
  deps: Pick<Parameters<typeof makeSendMessage>[0], 'messages' | 'model'> &
    Partial<Parameters<typeof makeSendMessage>[0]>,
) {
  return makeSendMessage({
    limiter: allowingLimiter(),
    metrics: recordingMetrics().metrics,
    roleQuota: () => 1000,
    contextBudgetTokens: 1000,
    systemPrompt: '',
    ...deps,
  });
}

function setUp(
  script: Parameters<typeof scriptedModel>[0] = { events: reply },
  options: { used?: number; quota?: number; allowed?: boolean } = {},
) {
  const messages = fakeMessages(options);
  const { model, requests } = scriptedModel(script);
  const { metrics, recorded } = recordingMetrics();
  const send = makeSendMessage({
    messages: messages.repository,
    model,
    limiter: allowingLimiter(options.allowed ?? true),
    metrics,
    // Members get 1000 tokens a month by default, admins 5000.
    roleQuota: (role) => (role === 'admins' ? 5000 : 1000),
    contextBudgetTokens: 1000,
    systemPrompt: 'Be brief.',
    now: () => new Date(Date.UTC(2026, 11, 31, 23, 59, 0)),
  });
  const events: TurnEvent[] = [];
  return {
    messages,
    requests,
    recorded,
    events,
    send: () => send(ada, { conversationId, content: 'Hi' }, (e) => events.push(e)),
  };
}

describe('sendMessage', () => {
  it('stores the user message, then each delta before emitting it, then the complete reply with its usage', async () => {
    // Prepare
    const { messages, events, recorded, send } = setUp();

    // Act
    const result = await send();

    // Assess
    expect(events.map((e) => e.type)).toEqual(['message', 'reply', 'delta', 'delta', 'done']);
    // The reply event names the reply being written, the one `done` brings complete
    const started = events[1];
    expect(started?.type === 'reply' && started.message).toMatchObject({
      id: result.assistantMessage.id,
      status: 'streaming',
      content: '',
    });
    expect(messages.saves.at(-1)).toBe('Hello');
    expect(result.assistantMessage).toMatchObject({
      status: 'complete',
      content: 'Hello',
      usage: { promptTokens: 7, completionTokens: 2 },
    });
    expect(recorded).toContain('call:test-model:7+2');
  });

  it('sends the system prompt, the history and the new message to the model', async () => {
    const { requests, send } = setUp();
    await send();

    await send();

    expect(requests[1]?.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  it("adds the person's own instructions to the system prompt, after the organisation's", async () => {
    const { messages, requests, send } = setUp();
    messages.state.instructions = 'Answer in French.';

    await send();

    const system = requests[0]?.messages[0];
    expect(system?.role).toBe('system');
    expect(system?.content).toMatch(
      /^Be brief\.\n[\s\S]*<user-instructions>\nAnswer in French\.\n<\/user-instructions>$/,
    );
  });

  it('refuses over the monthly quota with the time until the 1st, without storing or calling the model', async () => {
    const { messages, requests, recorded, send } = setUp(undefined, { used: 500, quota: 500 });

    const error = await send().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).retryAfterSeconds).toBe(60);
    expect((error as QuotaExceededError).message).toMatch(/500 tokens/);
    expect(messages.rows).toEqual([]);
    expect(requests).toEqual([]);
    expect(recorded).toEqual(['rejected:quota']);
  });

  it("applies the caller's role default to a user without a quota of their own", async () => {
    const { send } = setUp(undefined, { used: 1000 });

    const error = await send().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).message).toMatch(/1000 tokens/);
  });

  it("lets an admin past the members' default, their role's own default being higher", async () => {
    const { model } = scriptedModel({ events: reply });
    const send = sendMessageWith({
      messages: fakeMessages({ used: 1000 }).repository,
      model,
      roleQuota: (role) => (role === 'admins' ? 5000 : 1000),
    });

    const result = await send({ ...ada, role: 'admins' }, { conversationId, content: 'Hi' });

    expect(result.assistantMessage.status).toBe('complete');
  });

  it('keeps to a quota set for the user, below their role default', async () => {
    const { send } = setUp(undefined, { used: 200, quota: 200 });

    await expect(send()).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it("starts the model's first read (its circuit state) before storing the turn, so the two overlap", async () => {
    const order: string[] = [];
    const messages = fakeMessages();
    const startTurn = messages.repository.startTurn;
    messages.repository.startTurn = async (input) => {
      order.push('startTurn');
      return startTurn(input);
    };
    const { model } = scriptedModel({ events: reply });
    const send = sendMessageWith({
      messages: messages.repository,
      model: { ...model, prepare: () => void order.push('prepare') },
    });

    await send(ada, { conversationId, content: 'Hi' });

    expect(order).toEqual(['prepare', 'startTurn']);
  });

  it('does not start the model read for a message refused by its quota', async () => {
    const prepared: string[] = [];
    const { model } = scriptedModel({ events: reply });
    const send = sendMessageWith({
      messages: fakeMessages({ used: 1000 }).repository,
      model: { ...model, prepare: () => void prepared.push('prepare') },
    });

    await expect(send(ada, { conversationId, content: 'Hi' })).rejects.toBeInstanceOf(QuotaExceededError);
    expect(prepared).toEqual([]);
  });

  it('refuses over the rate limit, naming the limit', async () => {
    const { messages, send } = setUp(undefined, { allowed: false });

    const error = await send().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ChatRateLimitedError);
    expect((error as ChatRateLimitedError).retryAfterSeconds).toBe(42);
    expect((error as Error).message).toMatch(/3 messages a minute/);
    expect(messages.rows).toEqual([]);
  });

  it('refuses a model outside the allow-list as a validation error on body.model', async () => {
    const { messages } = setUp();
    const { model } = scriptedModel({ events: reply });
    const send = sendMessageWith({
      messages: messages.repository,
      model,
    });

    const error = await send(ada, { conversationId, content: 'Hi', model: 'other' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('body.model');
  });

  it('keeps the user message and stores a failed reply when the circuit is open (503 with Retry-After)', async () => {
    const { messages, events, recorded, send } = setUp({
      events: [],
      thenThrow: new ModelUnavailableError('circuit-open', 12),
      circuit: 'open',
    });

    const result = await send();

    expect(result.error).toBeInstanceOf(ModelUnavailableError);
    expect(result.error?.retryAfterSeconds).toBe(12);
    expect(events.map((e) => e.type)).toEqual(['message', 'reply', 'error']);
    expect(messages.rows.map((r) => [r.role, r.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'failed'],
    ]);
    // The refusal, then the circuit's state as the failure left it (the CircuitOpen metric).
    expect(recorded).toEqual(['error:unavailable:circuit-open', 'circuit:open']);
  });

  it('keeps what was streamed when the stream breaks, as a failed reply', async () => {
    const { messages, events, send } = setUp({
      events: [{ type: 'delta', text: 'Partial' }],
      thenThrow: new ModelStreamError('cut'),
    });

    const result = await send();

    expect(result.assistantMessage).toMatchObject({ status: 'failed', content: 'Partial' });
    expect(events.map((e) => e.type)).toEqual(['message', 'reply', 'delta', 'error']);
    expect(messages.saves).toContain('Partial');
  });

  it('charges a reply that broke after sending text by estimate, since its usage never came', async () => {
    // Prepare: a long reply cut by the total timeout before the usage (which comes last).
    const { messages, send } = setUp({
      events: [{ type: 'delta', text: 'x'.repeat(4000) }],
      thenThrow: new ModelStreamError('timeout'),
    });

    // Act
    const result = await send();

    // Assess
    expect(result.assistantMessage.status).toBe('failed');
    expect(result.assistantMessage.usage.completionTokens).toBeGreaterThanOrEqual(1000);
    expect(result.assistantMessage.usage.promptTokens).toBeGreaterThan(0);
    expect(messages.rows.at(-1)?.usage).toEqual(result.assistantMessage.usage);
  });

  it("fails a reply the provider's content filter ended, keeping what came before, charged as reported", async () => {
    const { send, events, messages, recorded } = setUp({
      events: [
        { type: 'delta', text: 'Here is how to' },
        { type: 'usage', promptTokens: 9, completionTokens: 4, filtered: true },
      ],
    });

    const result = await send();

    const error = "The AI model's content filter stopped this reply; what it wrote before is kept.";
    expect(result.assistantMessage).toMatchObject({
      status: 'failed',
      content: 'Here is how to',
      error,
      stopped: false,
      usage: { promptTokens: 9, completionTokens: 4 },
    });
    expect(result.error).toBeInstanceOf(ServiceUnavailableError);
    expect(events.at(-1)).toMatchObject({ type: 'error', message: { status: 'failed', error } });
    expect(messages.rows.at(-1)).toMatchObject({ status: 'failed', content: 'Here is how to' });
    // A refusal of the content, not a failure of the provider: no model error (nor its alarm).
    expect(recorded.filter((r) => r.startsWith('error:'))).toEqual([]);
  });

  it('fails a reply the content filter ended before any text as filtered, not as an empty reply, with no model error', async () => {
    // Prepare: the filter's end with nothing before it (Azure OpenAI ends a refused prompt so)
    const { send, recorded } = setUp({
      events: [{ type: 'usage', promptTokens: 9, completionTokens: 0, filtered: true }],
    });

    // Act
    const result = await send();

    // Assess: the person reads the filter's reason, not "try again"; the model-error alarm is not fed
    expect(result.assistantMessage).toMatchObject({
      status: 'failed',
      content: '',
      error: "The AI model's content filter stopped this reply; what it wrote before is kept.",
    });
    expect(recorded.filter((r) => r.startsWith('error:'))).toEqual([]);
  });

  it('keeps a reply the model ended at its length limit complete, marked truncated, charged as reported', async () => {
    const { send, events, messages, recorded } = setUp({
      events: [
        { type: 'delta', text: 'The first half of a long answer' },
        { type: 'usage', promptTokens: 9, completionTokens: 16, truncated: true },
      ],
    });

    const result = await send();

    expect(result.error).toBeUndefined();
    expect(result.assistantMessage).toMatchObject({
      status: 'complete',
      content: 'The first half of a long answer',
      error: null,
      stopped: false,
      truncated: true,
      usage: { promptTokens: 9, completionTokens: 16 },
    });
    expect(events.at(-1)).toMatchObject({ type: 'done', message: { truncated: true } });
    expect(messages.rows.at(-1)).toMatchObject({ status: 'complete', truncated: true });
    // The model did as it was asked to: no model error, but counted as cut short.
    expect(recorded.filter((r) => r.startsWith('error:'))).toEqual([]);
    expect(recorded.filter((r) => r.startsWith('cut-short:'))).toEqual(['cut-short:test-model']);
  });

  it('fails a reply the model ended at its length limit with nothing that shows as empty, not truncated', async () => {
    const { send } = setUp({
      events: [
        { type: 'delta', text: ' \u200b ' },
        { type: 'usage', promptTokens: 9, completionTokens: 16, truncated: true },
      ],
    });

    const result = await send();

    expect(result.assistantMessage).toMatchObject({
      status: 'failed',
      error: 'The AI model sent an empty reply. Please try again.',
      truncated: false,
    });
  });

  it('marks a whole reply not truncated', async () => {
    const { send, recorded } = setUp({
      events: [
        { type: 'delta', text: 'All of it' },
        { type: 'usage', promptTokens: 9, completionTokens: 3 },
      ],
    });

    const result = await send();

    expect(result.assistantMessage).toMatchObject({ status: 'complete', truncated: false });
    expect(recorded.filter((r) => r.startsWith('cut-short:'))).toEqual([]);
  });

  it('charges nothing for a call that failed before any text (the provider bills none)', async () => {
    const { send } = setUp({ events: [], thenThrow: new ModelUnavailableError('rate-limited', 3) });

    const result = await send();

    expect(result.assistantMessage.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
  });

  it('stops the model at the first text it cannot store, and blames the database, not the model', async () => {
    // Prepare: the first save fails (a database blip); the model has much more to say.
    const messages = fakeMessages();
    messages.repository.saveProgress = () => Promise.reject(new Error('connection reset'));
    let given = 0;
    let aborted = false;
    const model: ChatModel = {
      kind: 'openai',
      models: ['test-model'],
      async *stream(request) {
        request.signal?.addEventListener('abort', () => (aborted = true));
        for (let i = 0; i < 100; i++) {
          if (request.signal?.aborted) return;
          given += 1;
          yield { type: 'delta', text: `word ${i} ` };
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      },
    };
    const { metrics, recorded } = recordingMetrics();
    const send = sendMessageWith({ messages: messages.repository, model, metrics });
    const events: TurnEvent[] = [];

    // Act
    const thrown = await send(ada, { conversationId, content: 'Hi' }, (e) => events.push(e)).catch(
      (e: unknown) => e,
    );

    // Assess: the caller is told in an event; the save's own failure goes on, to the logs.
    expect(aborted).toBe(true);
    expect(given).toBeLessThan(10);
    expect(thrown).toMatchObject({ message: 'connection reset' });
    const told = events.at(-1);
    expect(told?.type).toBe('error');
    const error = told?.type === 'error' ? told.error : undefined;
    expect(error).not.toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 5 });
    expect(error?.message).toMatch(/could not be saved/);
    const stored = messages.rows.at(-1);
    expect(stored).toMatchObject({ status: 'failed', stopped: false });
    expect(stored?.content.startsWith('word 0 ')).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['message', 'reply', 'error']);
    expect(recorded.filter((r) => r.startsWith('error:'))).toEqual([]);
  });

  it('stores the failure and rethrows an unexpected error (a generic 500, never its text)', async () => {
    const { messages, send } = setUp({ events: [], thenThrow: new TypeError('boom') });

    await expect(send()).rejects.toThrow('boom');
    expect(messages.rows.at(-1)).toMatchObject({ role: 'assistant', status: 'failed' });
  });
});

describe('sendMessage with an Idempotency-Key sent again', () => {
  /** A send that stores turns in `messages` and counts the model's calls. */
  function keyed(script: { events: ChatEvent[]; thenThrow?: unknown }) {
    const messages = fakeMessages();
    const { model, requests } = scriptedModel(script);
    const send = sendMessageWith({
      messages: messages.repository,
      model,
    });
    return {
      messages,
      requests,
      send: async (events: TurnEvent[] = []) =>
        send(ada, { conversationId, content: 'Hi', idempotencyKey: 'k-1', requestHash: 'h' }, (e) =>
          events.push(e),
        ),
    };
  }

  it('answers the stored complete reply again, without a second model call', async () => {
    // Prepare
    const { requests, send } = keyed({ events: reply });
    const first = await send();
    const events: TurnEvent[] = [];

    // Act
    const again = await send(events);

    // Assess
    expect(again).toEqual(first);
    expect(events).toEqual([
      { type: 'message', message: first.userMessage },
      { type: 'delta', text: 'Hello' },
      { type: 'done', message: first.assistantMessage },
    ]);
    expect(requests).toHaveLength(1);
  });

  it('answers a stored failed reply again with what it kept and a 503, without a second model call', async () => {
    // Prepare
    const { requests, send } = keyed({
      events: [{ type: 'delta', text: 'Partial' }],
      thenThrow: new ModelStreamError('cut'),
    });
    const first = await send();
    const events: TurnEvent[] = [];

    // Act
    const again = await send(events);

    // Assess
    expect(again.assistantMessage).toMatchObject({ status: 'failed', content: 'Partial' });
    // the first answer's problem again: a 503 with the stored reason as its detail
    expect(again.error).toBeInstanceOf(ServiceUnavailableError);
    expect(again.error).toMatchObject({ message: first.error?.message, retryAfterSeconds: 5 });
    expect(again.assistantMessage.error).toBe(first.error?.message);
    expect(events.map((e) => e.type)).toEqual(['message', 'delta', 'error']);
    expect(events[1]).toEqual({ type: 'delta', text: 'Partial' });
    expect(events[2]).toMatchObject({ message: first.assistantMessage });
    expect(requests).toHaveLength(1);
  });

  it("answers a failed reply again with Retry-After until the model's circuit takes a call", async () => {
    // Prepare: the first turn fails; the circuit is open for 42.3 s more when it is repeated
    const messages = fakeMessages();
    const { model } = scriptedModel({ events: [], thenThrow: new ModelUnavailableError('circuit-open', 45) });
    let openForMs = 42_300;
    const send = sendMessageWith({
      messages: messages.repository,
      model: { ...model, unavailableForMs: () => Promise.resolve(openForMs) },
    });
    const input = { conversationId, content: 'Hi', idempotencyKey: 'k-1', requestHash: 'h' };
    const first = await send(ada, input);

    // Act
    const whileOpen = await send(ada, input);
    openForMs = 0;
    const onceClosed = await send(ada, input);

    // Assess: the circuit's time left, in whole seconds; the short default once it would take one
    expect(first.error).toMatchObject({ retryAfterSeconds: 45 });
    expect(whileOpen.error).toMatchObject({ message: first.error?.message, retryAfterSeconds: 43 });
    expect(onceClosed.error).toMatchObject({ message: first.error?.message, retryAfterSeconds: 5 });
  });

  it.each([
    ['the month’s tokens, spent by that very reply', { used: 1000 }, QuotaExceededError],
    ['the rate limit', { allowed: false }, ChatRateLimitedError],
  ])('answers the first result again when %s would refuse a new message', async (_what, over, Refusal) => {
    // Prepare: the first send went through; now the caller is over a limit.
    const messages = fakeMessages();
    const { model, requests } = scriptedModel({ events: reply });
    const input = { conversationId, content: 'Hi', idempotencyKey: 'k-1', requestHash: 'h' };
    const first = await sendMessageWith({ messages: messages.repository, model })(ada, input);
    const limited = sendMessageWith({
      messages: {
        ...messages.repository,
        monthlyUsage: async () => ({ used: 'used' in over ? over.used : 0, quota: undefined }),
      },
      model,
      limiter: allowingLimiter('allowed' in over ? over.allowed : true),
    });
    const events: TurnEvent[] = [];

    // Act
    const again = await limited(ada, input, (e) => events.push(e));
    const fresh = await limited(ada, { ...input, idempotencyKey: 'k-2' }).catch((e: unknown) => e);

    // Assess
    expect(again).toEqual(first);
    expect(events.map((e) => e.type)).toEqual(['message', 'delta', 'done']);
    expect(requests).toHaveLength(1);
    expect(fresh).toBeInstanceOf(Refusal);
  });

  it('sends no delta when replaying a failed reply that kept no text', async () => {
    const { send } = keyed({ events: [], thenThrow: new ModelUnavailableError('circuit-open', 12) });
    await send();
    const events: TurnEvent[] = [];

    const again = await send(events);

    expect(events.map((e) => e.type)).toEqual(['message', 'error']);
    expect(again.assistantMessage).toMatchObject({ status: 'failed', content: '' });
  });

  it.each([
    ['still streaming', 'streaming' as const],
    ['missing', undefined],
  ])('answers ConversationBusyError when the first reply is %s, emitting nothing', async (_what, status) => {
    // Prepare
    const messages = fakeMessages();
    const { requests, send: first } = keyed({ events: reply });
    const stored = await first();
    messages.repository.startTurn = async () => ({
      kind: 'replay',
      userMessage: stored.userMessage,
      assistantMessage: status ? { ...stored.assistantMessage, status } : undefined,
    });
    const send = sendMessageWith({
      messages: messages.repository,
      model: scriptedModel({ events: reply }).model,
    });
    const events: TurnEvent[] = [];

    // Act
    const error = await send(ada, { conversationId, content: 'Hi', idempotencyKey: 'k-1' }, (e) =>
      events.push(e),
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConversationBusyError);
    expect(events).toEqual([]);
    expect(requests).toHaveLength(1);
  });
});

describe('sendMessage metrics', () => {
  /** Records each model call's measures and every other report, in order. */
  function measuring(model: ChatModel) {
    const calls: Parameters<ChatMetrics['modelCall']>[0][] = [];
    const { metrics, recorded } = recordingMetrics();
    const send = sendMessageWith({
      messages: fakeMessages().repository,
      model,
      metrics: { ...metrics, modelCall: (measure) => calls.push(measure) },
    });
    return { calls, recorded, send: () => send(ada, { conversationId, content: 'Hi' }) };
  }

  it('reports the time to the first token of a reply, and the circuit state after it', async () => {
    const { calls, recorded, send } = measuring(scriptedModel({ events: reply }).model);

    await send();

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ model: 'test-model', promptTokens: 7, completionTokens: 2 });
    expect(calls[0]?.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(calls[0]?.timeToFirstTokenMs).toBeLessThanOrEqual(calls[0]?.latencyMs ?? -1);
    expect(recorded).toEqual(['circuit:closed']);
  });

  it('measures the time to the first token from the first delta, and the latency to the last', async () => {
    // Prepare: a model whose first words come after ~50 ms and its last after ~300 ms.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const slow: ChatModel = {
      ...scriptedModel({ events: [] }).model,
      async *stream() {
        await sleep(50);
        yield { type: 'delta', text: 'Hel' };
        await sleep(260);
        yield { type: 'delta', text: 'lo' };
        yield { type: 'usage', promptTokens: 7, completionTokens: 2 };
      },
    };
    const { calls, send } = measuring(slow);

    // Act
    await send();

    // Assess
    expect(calls).toHaveLength(1);
    const { timeToFirstTokenMs, latencyMs } = calls[0] ?? { timeToFirstTokenMs: undefined, latencyMs: 0 };
    expect(timeToFirstTokenMs).toBeGreaterThanOrEqual(30);
    expect(timeToFirstTokenMs).toBeLessThanOrEqual(250);
    expect(latencyMs).toBeGreaterThanOrEqual(300);
    // The first token, not the last: well before the reply ended.
    expect(latencyMs - (timeToFirstTokenMs ?? latencyMs)).toBeGreaterThanOrEqual(150);
  });

  it('reports no time to first token for an empty reply, which fails as one', async () => {
    const { calls, recorded, send } = measuring(
      scriptedModel({ events: [{ type: 'usage', promptTokens: 3, completionTokens: 0 }] }).model,
    );

    const result = await send();

    // A blank reply is no answer: failed, saying so, charged its prompt as the call reported it.
    expect(result.assistantMessage).toMatchObject({
      status: 'failed',
      content: '',
      error: 'The AI model sent an empty reply. Please try again.',
      usage: { promptTokens: 3, completionTokens: 0 },
    });
    expect(result.error).toBeInstanceOf(ServiceUnavailableError);
    expect(recorded).toContain('error:stream:empty');
    expect(calls).toEqual([
      expect.objectContaining({ timeToFirstTokenMs: undefined, promptTokens: 3, completionTokens: 0 }),
    ]);
  });

  it('reports a failure but no circuit state for a model without a circuit', async () => {
    const { circuitState: _none, ...model } = scriptedModel({
      events: [],
      thenThrow: new ModelUnavailableError('timeout', 5),
    }).model;
    const { calls, recorded, send } = measuring(model);

    const result = await send();

    expect(result.error).toMatchObject({ reason: 'timeout' });
    expect(recorded).toEqual(['error:unavailable:timeout']);
    expect(calls).toEqual([]);
  });
});

describe('sendMessage with no model allowed', () => {
  it('refuses every message as a validation error on body.model, storing nothing', async () => {
    // Prepare: a misconfigured deployment whose model allows nothing.
    const messages = fakeMessages();
    const { model, requests } = scriptedModel({ events: reply }, []);
    const send = sendMessageWith({
      messages: messages.repository,
      model,
    });

    // Act
    const error = await send(ada, { conversationId, content: 'Hi' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ path: 'body.model', message: 'must be one of: ' }]);
    expect(messages.rows).toEqual([]);
    expect(requests).toEqual([]);
  });
});

describe('sendMessage when the reply stops arriving', () => {
  it('stores what came as a failed reply and answers a timeout (503), not a server error', async () => {
    const { messages, events, send } = setUp({
      events: [{ type: 'delta', text: 'Half' }],
      thenThrow: new ModelStreamError('timeout'),
    });

    const result = await send();

    expect(result.error).toBeInstanceOf(ModelUnavailableError);
    expect(result.error).toMatchObject({ reason: 'timeout', retryAfterSeconds: 5 });
    expect(result.assistantMessage).toMatchObject({ status: 'failed', content: 'Half' });
    expect(events.map((e) => e.type)).toEqual(['message', 'reply', 'delta', 'error']);
    expect(messages.rows.at(-1)).toMatchObject({ status: 'failed', content: 'Half' });
  });
});

describe('sendMessage stopped by its owner', () => {
  /** A model that writes until told to stop: `heeds` whether it throws the signal's reason then. */
  function endlessModel(heeds: boolean) {
    const signals: (AbortSignal | undefined)[] = [];
    const model: ChatModel = {
      kind: 'openai',
      models: ['test-model'],
      async *stream(request) {
        signals.push(request.signal);
        for (let i = 0; i < 10_000; i++) {
          if (heeds) request.signal?.throwIfAborted();
          yield { type: 'delta', text: `w${i} ` };
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        yield { type: 'usage', promptTokens: 1, completionTokens: 10_000 };
      },
    };
    return { model, signals };
  }

  it.each([
    ['a model that heeds the signal', true],
    ['a model that does not', false],
  ])('stops %s at the next save, keeping the text so far as the complete reply', async (_case, heeds) => {
    // Prepare: the owner asks to stop once the first words are in
    const messages = fakeMessages();
    const { model, signals } = endlessModel(heeds);
    const send = sendMessageWith({ messages: messages.repository, model });
    const events: TurnEvent[] = [];
    const onEvent = (event: TurnEvent) => {
      events.push(event);
      const reply = messages.rows.find((r) => r.role === 'assistant');
      if (event.type === 'delta' && reply && messages.stops.size === 0)
        void messages.repository.requestStop({ ownerId: 'ada', conversationId, messageId: reply.id });
    };

    // Act
    const result = await send(ada, { conversationId, content: 'Write forever' }, onEvent);

    // Assess: ended complete with what was written, the model told to stop, tokens estimated
    expect(signals[0]?.aborted).toBe(true);
    expect(result.assistantMessage.status).toBe('complete');
    expect(result.assistantMessage.content).toMatch(/^w0 /);
    expect(result.assistantMessage.content.length).toBeLessThan(200);
    expect(result.assistantMessage.content).toBe(messages.saves.at(-1));
    expect(result.assistantMessage.usage.completionTokens).toBe(
      Math.ceil(result.assistantMessage.content.length / 4),
    );
    expect(result.assistantMessage.usage.promptTokens).toBeGreaterThan(0);
    expect(result.assistantMessage.stopped).toBe(true);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('keeps a reply whole, and not stopped, when the Stop comes after the model has ended', async () => {
    // Prepare: the owner asks to stop once the model has sent everything and its usage
    const messages = fakeMessages();
    const model: ChatModel = {
      kind: 'openai',
      models: ['test-model'],
      async *stream() {
        yield { type: 'delta', text: 'The whole ' };
        yield { type: 'delta', text: 'answer.' };
        // Every delta saved (no Stop yet), then the end of the stream
        await new Promise((resolve) => setTimeout(resolve, 10));
        yield { type: 'usage', promptTokens: 5, completionTokens: 3 };
        const reply = messages.rows.find((r) => r.role === 'assistant');
        if (reply)
          await messages.repository.requestStop({ ownerId: 'ada', conversationId, messageId: reply.id });
      },
    };
    const send = sendMessageWith({ messages: messages.repository, model });
    const events: TurnEvent[] = [];

    // Act
    const result = await send(ada, { conversationId, content: 'Answer me' }, (e) => events.push(e));

    // Assess: the Stop was asked for (and is seen), but cut nothing: the reply is whole, its
    // usage the model's own, and it does not read as stopped
    expect(messages.stops.size).toBe(1);
    expect(result.assistantMessage).toMatchObject({
      status: 'complete',
      content: 'The whole answer.',
      stopped: false,
      usage: { promptTokens: 5, completionTokens: 3 },
    });
    expect(messages.rows.at(-1)?.stopped).toBe(false);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('stops a model that has not sent its first words yet, by looking for the Stop meanwhile', async () => {
    // Prepare: a model that would take a minute to start, and a Stop as soon as the reply exists
    const messages = fakeMessages();
    let signal: AbortSignal | undefined;
    const model: ChatModel = {
      kind: 'openai',
      models: ['test-model'],
      async *stream(request) {
        signal = request.signal;
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 60_000);
          request.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(request.signal?.reason as Error);
          });
        });
        yield { type: 'delta', text: 'Too late' };
      },
    };
    const send = sendMessageWith({ messages: messages.repository, model, stopCheckMs: 5 });
    const onEvent = (event: TurnEvent) => {
      if (event.type === 'reply')
        void messages.repository.requestStop({ ownerId: 'ada', conversationId, messageId: event.message.id });
    };

    // Act
    const started = Date.now();
    const result = await send(ada, { conversationId, content: 'Think hard' }, onEvent);

    // Assess: ended at once, complete and empty, the model told to stop
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(signal?.aborted).toBe(true);
    expect(result.assistantMessage).toMatchObject({ status: 'complete', content: '', stopped: true });
    expect(result.assistantMessage.usage.promptTokens).toBeGreaterThan(0);
  });
  it('stops a model gone silent after its first words, by looking for the Stop meanwhile', async () => {
    // Prepare: a model that writes a first part, then would be silent for a minute (no save to
    // carry the Stop), and a Stop as soon as the first part is shown
    const messages = fakeMessages();
    let signal: AbortSignal | undefined;
    const model: ChatModel = {
      kind: 'openai',
      models: ['test-model'],
      async *stream(request) {
        signal = request.signal;
        yield { type: 'delta', text: 'The first part' };
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 60_000);
          request.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(request.signal?.reason as Error);
          });
        });
        yield { type: 'delta', text: ' and the rest' };
      },
    };
    const send = sendMessageWith({ messages: messages.repository, model, stopCheckMs: 5 });
    let replyId = '';
    const onEvent = (event: TurnEvent) => {
      if (event.type === 'reply') replyId = event.message.id;
      if (event.type === 'delta')
        void messages.repository.requestStop({ ownerId: 'ada', conversationId, messageId: replyId });
    };

    // Act
    const started = Date.now();
    const result = await send(ada, { conversationId, content: 'Think hard' }, onEvent);

    // Assess: ended at once, complete with the first part and stopped, not failed by a timeout
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(signal?.aborted).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.assistantMessage).toMatchObject({
      status: 'complete',
      content: 'The first part',
      stopped: true,
    });
  });
});

describe('sendMessage answered in one piece, past its deadline', () => {
  /** A model that writes a first part at once, then would take a minute over the rest. */
  function slowModel() {
    const seen: { signal?: AbortSignal } = {};
    const model: ChatModel = {
      kind: 'openai',
      models: ['test-model'],
      async *stream(request) {
        seen.signal = request.signal;
        yield { type: 'delta', text: 'The first part' };
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 60_000);
          request.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(request.signal?.reason as Error);
          });
        });
        yield { type: 'delta', text: ' and the rest' };
      },
      circuitState: () => 'closed',
    };
    return { model, seen };
  }

  it('stops the model, keeps what it wrote as a failed reply charged by estimate, and says to stream', async () => {
    // Prepare
    const messages = fakeMessages();
    const { model, seen } = slowModel();
    const { metrics, recorded } = recordingMetrics();
    const send = sendMessageWith({
      messages: messages.repository,
      model,
      metrics,
      bufferedReplyDeadlineMs: 50,
    });

    // Act
    const started = Date.now();
    const result = await send(ada, { conversationId, content: 'Write a book', buffered: true });

    // Assess
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.signal?.aborted).toBe(true);
    expect(result.error).not.toBeInstanceOf(ModelUnavailableError);
    expect(result.error).toMatchObject({ status: 503, retryAfterSeconds: 5 });
    expect(result.error?.message).toMatch(/longer than 1 s.*Accept: text\/event-stream/);
    expect(result.assistantMessage).toMatchObject({
      status: 'failed',
      content: 'The first part',
      stopped: false,
    });
    expect(result.assistantMessage.usage.promptTokens).toBeGreaterThan(0);
    expect(result.assistantMessage.usage.completionTokens).toBeGreaterThan(0);
    expect(messages.rows.at(-2)).toMatchObject({ role: 'user', content: 'Write a book' });
    // Our own deadline, not the model's failure: its alarm is not fed.
    expect(recorded.filter((r) => r.startsWith('error:'))).toEqual([]);
  });

  it('leaves a reply that ends in time as it is', async () => {
    const messages = fakeMessages();
    const send = sendMessageWith({
      messages: messages.repository,
      model: scriptedModel({ events: reply }).model,
      bufferedReplyDeadlineMs: 60_000,
    });
    const result = await send(ada, { conversationId, content: 'Hi', buffered: true });
    expect(result.error).toBeUndefined();
    expect(result.assistantMessage).toMatchObject({ status: 'complete', content: 'Hello' });
  });
});
