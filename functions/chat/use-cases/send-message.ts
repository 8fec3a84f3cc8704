import type { Caller } from '#shared/domain/caller';
import { effectiveQuota, type RoleQuota } from '#shared/domain/quota';
import { DomainError, ValidationError } from '#shared/errors';
import { systemPromptFor } from '../domain/system-prompt';
import { contextWindow } from '../domain/context-window';
import {
  ChatRateLimitedError,
  ConversationBusyError,
  QuotaExceededError,
  type Message,
} from '../domain/message';
import { estimateCostMicros } from '../domain/pricing';
import { titleFromMessage } from '../domain/title';
import type { ChatMetrics } from '../ports/chat-metrics';
import { ModelStreamError, ModelUnavailableError, type ChatModel } from '../ports/chat-model';
import type { MessageRepository } from '../ports/message-repository';
import type { RateLimiter } from '../ports/rate-limiter';
import { StoredDeltas } from './stored-deltas';

export interface SendMessageInput {
  readonly conversationId: string;
  readonly content: string;
  readonly model?: string;
  readonly idempotencyKey?: string;
  /** Hash of the request: with the key, a repeat must match it. */
  readonly requestHash?: string;
}

/** The events of one turn, in order: `message`, any `delta`s, then `done` or `error`. */
export type TurnEvent =
  | { readonly type: 'message'; readonly message: Message }
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'done'; readonly message: Message }
  | { readonly type: 'error'; readonly error: DomainError; readonly message: Message };

export interface TurnResult {
  readonly userMessage: Message;
  readonly assistantMessage: Message;
  /** Set when the model failed: the assistant message is stored as `failed`. */
  readonly error?: DomainError;
}

export interface SendMessageDeps {
  readonly messages: MessageRepository;
  readonly model: ChatModel;
  readonly limiter: RateLimiter;
  readonly metrics: ChatMetrics;
  /** The monthly tokens of a role, for users without a quota of their own. */
  readonly roleQuota: RoleQuota;
  /** Tokens of history sent with each message (the model's context window, less the reply). */
  readonly contextBudgetTokens: number;
  readonly systemPrompt: string;
  readonly now?: () => Date;
}

/** Seconds from `now` to the first of next month, UTC (when a monthly quota renews). */
function secondsToNextMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** Why a reply failed, in words safe to store and show (never the provider's own text). */
function failureOf(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof ModelStreamError)
    return new ModelUnavailableError(error.reason === 'timeout' ? 'timeout' : 'server-error', 5);
  return new ModelUnavailableError('server-error', 5);
}

/**
 * One chat turn. The user's message is committed before the model is called; the reply is stored
 * as it streams (every delta the caller receives is already stored) and ends `complete`, or
 * `failed` with the reason. The caller may go away at any point: the turn still runs to its end.
 */
export const makeSendMessage = (deps: SendMessageDeps) =>
  async function sendMessage(
    caller: Caller,
    input: SendMessageInput,
    onEvent: (event: TurnEvent) => void = () => {},
  ): Promise<TurnResult> {
    const now = deps.now?.() ?? new Date();
    const model = input.model ?? deps.model.models[0] ?? 'offline';
    if (!deps.model.models.includes(model)) {
      throw new ValidationError([
        { path: 'body.model', message: `must be one of: ${deps.model.models.join(', ')}` },
      ]);
    }

    // Both checks at once: each is a round trip, and the time to the first token is what users feel.
    const [rate, usage] = await Promise.all([
      deps.limiter.consume(`chat:${caller.userId}`),
      deps.messages.monthlyUsage(caller.userId, now),
    ]);
    if (!rate.allowed) {
      deps.metrics.rejected('rate');
      throw new ChatRateLimitedError(deps.limiter.limitPerMinute, rate.retryAfterSeconds);
    }
    // The token's role: a role change revokes the tokens issued before it.
    const quota = effectiveQuota(usage.quota, caller.role, deps.roleQuota).monthlyTokens;
    if (usage.used >= quota) {
      deps.metrics.rejected('quota');
      throw new QuotaExceededError(quota, secondsToNextMonth(now));
    }

    // The model's first cache read (its shared circuit state) runs while the turn is stored.
    deps.model.prepare?.();
    const turn = await deps.messages.startTurn({
      ownerId: caller.userId,
      conversationId: input.conversationId,
      content: input.content,
      model,
      titleIfFirst: titleFromMessage(input.content),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.requestHash ? { requestHash: input.requestHash } : {}),
    });

    if (turn.kind === 'replay') {
      // The first request's outcome, never a second model call.
      const assistant = turn.assistantMessage;
      if (!assistant || assistant.status === 'streaming') throw new ConversationBusyError();
      onEvent({ type: 'message', message: turn.userMessage });
      if (assistant.content) onEvent({ type: 'delta', text: assistant.content });
      if (assistant.status === 'complete') {
        onEvent({ type: 'done', message: assistant });
        return { userMessage: turn.userMessage, assistantMessage: assistant };
      }
      const error = new ModelUnavailableError('server-error', 5);
      onEvent({ type: 'error', error, message: assistant });
      return { userMessage: turn.userMessage, assistantMessage: assistant, error };
    }

    onEvent({ type: 'message', message: turn.userMessage });
    const assistantId = turn.assistantMessage.id;
    const deltas = new StoredDeltas(
      (content) => deps.messages.saveProgress(assistantId, content),
      (text) => onEvent({ type: 'delta', text }),
    );
    const started = Date.now();
    let firstTokenAt: number | undefined;
    let promptTokens = 0;
    let completionTokens = 0;
    const finish = (status: 'complete' | 'failed', error?: DomainError) =>
      deps.messages.finishTurn({
        ownerId: caller.userId,
        assistantId,
        content: deltas.text,
        status,
        ...(error ? { error: error.message } : {}),
        model,
        promptTokens,
        completionTokens,
        costMicros: estimateCostMicros(model, promptTokens, completionTokens),
      });

    try {
      const messages = contextWindow(
        systemPromptFor(deps.systemPrompt, turn.instructions),
        turn.history,
        { role: 'user', content: input.content },
        deps.contextBudgetTokens,
      );
      for await (const event of deps.model.stream({ model, messages })) {
        if (event.type === 'delta') {
          firstTokenAt ??= Date.now();
          deltas.push(event.text);
        } else {
          promptTokens = event.promptTokens;
          completionTokens = event.completionTokens;
        }
      }
      await deltas.flush();
    } catch (cause) {
      const error = failureOf(cause);
      deps.metrics.modelError(
        cause instanceof ModelUnavailableError
          ? 'unavailable'
          : cause instanceof ModelStreamError
            ? 'stream'
            : 'other',
        cause instanceof ModelUnavailableError || cause instanceof ModelStreamError
          ? cause.reason
          : 'unexpected',
      );
      if (deps.model.circuitState) deps.metrics.circuit(deps.model.circuitState());
      // Whatever was received is kept with the failure, so nothing the caller saw disappears.
      await deltas.flush().catch(() => undefined);
      const assistantMessage = await finish('failed', error);
      onEvent({ type: 'error', error, message: assistantMessage });
      if (!(cause instanceof DomainError || cause instanceof ModelStreamError)) throw cause;
      return { userMessage: turn.userMessage, assistantMessage, error };
    }

    const assistantMessage = await finish('complete');
    deps.metrics.modelCall({
      model,
      latencyMs: Date.now() - started,
      timeToFirstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - started,
      promptTokens,
      completionTokens,
    });
    if (deps.model.circuitState) deps.metrics.circuit(deps.model.circuitState());
    onEvent({ type: 'done', message: assistantMessage });
    return { userMessage: turn.userMessage, assistantMessage };
  };

export type SendMessage = ReturnType<typeof makeSendMessage>;
