import { randomUUID } from 'node:crypto';
import { ConversationBusyError, NotLatestReplyError, type Message } from '#chat/domain/message';
import { ReplyNotFoundError } from '#feedback/domain/feedback';
import type { ChatMetrics } from '#chat/ports/chat-metrics';
import type { ChatEvent, ChatModel, ChatRequest, CircuitStateName } from '#chat/ports/chat-model';
import type { MessageRepository, StartTurnInput } from '#chat/ports/message-repository';
import type { RateLimiter } from '#shared/rate-limit/rate-limiter';
import type { AuthContext } from '#shared/http/types';

/**
 * A scripted model: yields the given events (or throws the given error after them), and reports
 * its circuit as `circuit` (closed unless told otherwise).
 */
export function scriptedModel(
  script: { events: ChatEvent[]; thenThrow?: unknown; circuit?: CircuitStateName },
  models = ['test-model'],
) {
  const requests: ChatRequest[] = [];
  const model: ChatModel = {
    kind: 'openai',
    models,
    async *stream(request) {
      requests.push(request);
      for (const event of script.events) yield event;
      if (script.thenThrow !== undefined) throw script.thenThrow;
    },
    circuitState: () => script.circuit ?? 'closed',
  };
  return { model, requests };
}

/** An in-memory MessageRepository recording every save, for unit tests of the chat use cases. */
export function fakeMessages(options: { used?: number; quota?: number } = {}) {
  /** The owner's own instructions, as startTurn reads them from their row. */
  const state: { instructions: string | null } = { instructions: null };
  const rows: Message[] = [];
  const saves: string[] = [];
  /** Replies whose owner asked to stop them. */
  const stops = new Set<string>();
  const keys = new Map<string, { hash: string | undefined; user: Message; assistant: Message }>();
  const at = () => new Date().toISOString();
  const message = (input: StartTurnInput, role: 'user' | 'assistant'): Message => ({
    id: randomUUID(),
    conversationId: input.conversationId,
    role,
    content: role === 'user' ? input.content : '',
    status: role === 'user' ? 'complete' : 'streaming',
    model: role === 'user' ? null : input.model,
    usage: { promptTokens: 0, completionTokens: 0 },
    error: null,
    stopped: false,
    truncated: false,
    createdAt: at(),
  });
  const replace = (updated: Message) =>
    rows.splice(
      rows.findIndex((r) => r.id === updated.id),
      1,
      updated,
    );
  const repository: MessageRepository = {
    async startTurn(input) {
      const previous = input.idempotencyKey ? keys.get(input.idempotencyKey) : undefined;
      if (previous) {
        if (previous.hash !== input.requestHash) throw new Error('key reused');
        return {
          kind: 'replay',
          userMessage: previous.user,
          assistantMessage: rows.find((r) => r.id === previous.assistant.id),
        };
      }
      const history = rows
        .filter((r) => r.conversationId === input.conversationId && r.status === 'complete')
        .map((r) => ({ role: r.role, content: r.content }));
      const user = message(input, 'user');
      const assistant = message(input, 'assistant');
      rows.push(user, assistant);
      if (input.idempotencyKey) keys.set(input.idempotencyKey, { hash: input.requestHash, user, assistant });
      return {
        kind: 'started',
        userMessage: user,
        assistantMessage: assistant,
        history,
        instructions: state.instructions,
      };
    },
    async priorTurn({ idempotencyKey, requestHash }) {
      const previous = keys.get(idempotencyKey);
      if (!previous) return undefined;
      if (previous.hash !== requestHash) throw new Error('key reused');
      return {
        kind: 'replay',
        userMessage: previous.user,
        assistantMessage: rows.find((r) => r.id === previous.assistant.id),
      };
    },
    async startRegeneration(input) {
      const ofConversation = rows.filter((r) => r.conversationId === input.conversationId);
      const at = ofConversation.findIndex((r) => r.id === input.replyId && r.role === 'assistant');
      const reply = ofConversation[at];
      if (!reply) throw new ReplyNotFoundError();
      if (ofConversation.some((r) => r.status === 'streaming')) throw new ConversationBusyError();
      if (at !== ofConversation.length - 1) throw new NotLatestReplyError();
      const reset: Message = {
        ...reply,
        content: '',
        status: 'streaming',
        error: null,
        stopped: false,
        truncated: false,
        model: input.model,
        usage: { promptTokens: 0, completionTokens: 0 },
      };
      const history = ofConversation
        .slice(0, at)
        .filter((r) => r.status === 'complete')
        .map((r) => ({ role: r.role, content: r.content }));
      const question = ofConversation.slice(0, at).findLast((r) => r.role === 'user');
      if (question && input.content !== undefined) replace({ ...question, content: input.content });
      replace(reset);
      stops.delete(reset.id);
      return {
        assistantMessage: reset,
        history,
        instructions: state.instructions,
      };
    },
    async saveProgress(id, content) {
      saves.push(content);
      const row = rows.find((r) => r.id === id);
      if (row) replace({ ...row, content });
      return stops.has(id);
    },
    async stopRequested(id) {
      return stops.has(id);
    },
    async requestStop({ conversationId, messageId }) {
      const row = rows.find(
        (r) => r.id === messageId && r.conversationId === conversationId && r.role === 'assistant',
      );
      if (!row) return undefined;
      if (row.status !== 'streaming') return 'ended';
      stops.add(row.id);
      replace({ ...row, stopped: true });
      return 'stopping';
    },
    async finishTurn(input) {
      const row = rows.find((r) => r.id === input.assistantId);
      if (!row) throw new Error('no such message');
      const updated: Message = {
        ...row,
        content: input.content,
        status: input.status,
        error: input.error ?? null,
        stopped: input.stopped === true,
        truncated: input.truncated === true,
        usage: { promptTokens: input.promptTokens, completionTokens: input.completionTokens },
      };
      replace(updated);
      return updated;
    },
    list: async () => ({ items: [], nextCursor: null }),
    get: async () => undefined,
    search: async () => ({ items: [], nextCursor: null }),
    exportConversation: async () => undefined,
    monthlyUsage: async () => ({ used: options.used ?? 0, quota: options.quota }),
  };
  return { repository, rows, saves, state, stops };
}

export function allowingLimiter(allowed = true): RateLimiter {
  return { limitPerMinute: 3, consume: async () => ({ allowed, retryAfterSeconds: allowed ? 0 : 42 }) };
}

export function recordingMetrics() {
  const recorded: string[] = [];
  const metrics: ChatMetrics = {
    modelCall: (m) => recorded.push(`call:${m.model}:${m.promptTokens}+${m.completionTokens}`),
    modelError: (kind, reason) => recorded.push(`error:${kind}:${reason}`),
    circuit: (state) => recorded.push(`circuit:${state}`),
    rejected: (limit) => recorded.push(`rejected:${limit}`),
    cacheLookup: (what, hit) => recorded.push(`cache:${what}:${hit ? 'hit' : 'miss'}`),
    replyCutShort: (model) => recorded.push(`cut-short:${model}`),
  };
  return { metrics, recorded };
}

/** A member signed in to the web app, as the route handlers of the chat tests see them. */
export const memberAda: AuthContext = {
  userId: 'ada',
  kind: 'user',
  role: 'members',
  groups: ['members'],
  scopes: [],
  clientId: 'web',
};
