import type { Caller } from '#shared/domain/caller';
import { ServiceUnavailableError, type DomainError } from '#shared/errors';
import {
  ChatRateLimitedError,
  ConversationBusyError,
  QuotaExceededError,
  type Message,
} from '../domain/message';
import { titleFromMessage } from '../domain/title';
import { ModelUnavailableError } from '../ports/chat-model';
import type { MonthlyQuota, ReplayedTurn } from '../ports/message-repository';
import {
  admitReply,
  started,
  writeReply,
  type ReplyDeps,
  type TurnEvent,
  type WrittenReply,
} from './write-reply';

export interface SendMessageInput {
  readonly conversationId: string;
  readonly content: string;
  readonly model?: string;
  readonly idempotencyKey?: string;
  /** Hash of the request: with the key, a repeat must match it. */
  readonly requestHash?: string;
  /** Answered in one piece (not streamed): the reply has ReplyDeps.bufferedReplyDeadlineMs. */
  readonly buffered?: boolean;
}

export interface TurnResult extends WrittenReply {
  readonly userMessage: Message;
}

export type SendMessageDeps = ReplyDeps;

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
    let model: string;
    let quota: MonthlyQuota;
    try {
      ({ model, quota } = await admitReply(deps, caller, input.model));
    } catch (refusal) {
      // A repeat of a keyed request answers its first result, even once the rate or the month's
      // tokens (spent by that very reply, say) would refuse a new message.
      const limited = refusal instanceof ChatRateLimitedError || refusal instanceof QuotaExceededError;
      const prior =
        limited && input.idempotencyKey
          ? await deps.messages.priorTurn({
              ownerId: caller.userId,
              idempotencyKey: input.idempotencyKey,
              ...(input.requestHash ? { requestHash: input.requestHash } : {}),
            })
          : undefined;
      if (!prior) throw refusal;
      return replay(deps, prior, onEvent);
    }
    const turn = await started(
      deps,
      deps.messages.startTurn({
        ownerId: caller.userId,
        conversationId: input.conversationId,
        content: input.content,
        model,
        titleIfFirst: titleFromMessage(input.content),
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(input.requestHash ? { requestHash: input.requestHash } : {}),
        ...(deps.maxRepliesInFlight === undefined ? {} : { maxRepliesInFlight: deps.maxRepliesInFlight }),
        quota,
        prompt: { systemPrompt: deps.systemPrompt, contextBudgetTokens: deps.contextBudgetTokens },
      }),
    );

    if (turn.kind === 'replay') return replay(deps, turn, onEvent);

    onEvent({ type: 'message', message: turn.userMessage });
    onEvent({ type: 'reply', message: turn.assistantMessage });
    const reply = await writeReply(
      deps,
      caller,
      {
        assistantId: turn.assistantMessage.id,
        model,
        history: turn.history,
        question: { role: 'user', content: input.content },
        instructions: turn.instructions,
        deadlineMs: input.buffered ? deps.bufferedReplyDeadlineMs : undefined,
      },
      onEvent,
    );
    return { userMessage: turn.userMessage, ...reply };
  };

/** The first request's outcome, never a second model call. */
async function replay(
  deps: SendMessageDeps,
  turn: ReplayedTurn,
  onEvent: (event: TurnEvent) => void,
): Promise<TurnResult> {
  const assistant = turn.assistantMessage;
  if (!assistant || assistant.status === 'streaming') throw new ConversationBusyError();
  onEvent({ type: 'message', message: turn.userMessage });
  if (assistant.content) onEvent({ type: 'delta', text: assistant.content });
  if (assistant.status === 'complete') {
    onEvent({ type: 'done', message: assistant });
    return { userMessage: turn.userMessage, assistantMessage: assistant };
  }
  const error = replayedFailure(assistant, await retryAfterSeconds(deps));
  onEvent({ type: 'error', error, message: assistant });
  return { userMessage: turn.userMessage, assistantMessage: assistant, error };
}

/** Retry-After of a replayed failure when the model's circuit would take a call now. */
const REPLAY_RETRY_AFTER_SECONDS = 5;

/**
 * When to try again, for a repeat of a failed turn. The first answer's Retry-After is not stored
 * with the reply; what can be known now is the model's circuit: while it is open, every call is
 * refused until it lets one through, so that is the wait (the first answer's own, for a turn the
 * open circuit refused, less the time since). Otherwise a short one: a wait the provider asked for
 * (its own Retry-After on a 429) is not known any more.
 */
async function retryAfterSeconds(deps: SendMessageDeps): Promise<number> {
  const openForMs = (await deps.model.unavailableForMs?.()) ?? 0;
  return openForMs > 0 ? Math.ceil(openForMs / 1000) : REPLAY_RETRY_AFTER_SECONDS;
}

/**
 * The failure a failed reply ended with, answered again. Every failure a reply is stored with is a
 * 503 (the model unavailable, a stream that broke, a reply past its deadline, a save that failed,
 * a reply interrupted; a model not offered is refused with a 400 before anything is stored), so
 * the status and the problem type are those. The detail is the stored reason, which is the first
 * answer's own detail (stored from it, in our words, never the provider's): a repeat is not told
 * "the model could not answer" of a reply that only outlasted its deadline, whose advice (ask for
 * a stream) the client needs.
 */
function replayedFailure(assistant: Message, retryAfter: number): DomainError {
  if (assistant.error === null) return new ModelUnavailableError('server-error', retryAfter);
  return new ServiceUnavailableError(assistant.error, retryAfter);
}

export type SendMessage = ReturnType<typeof makeSendMessage>;
