import type { Caller } from '#shared/domain/caller';
import { effectiveQuota, type RoleQuota } from '#shared/domain/quota';
import { hasVisibleCharacter } from '#shared/domain/text';
import { DomainError, ServiceUnavailableError, ValidationError } from '#shared/errors';
import { estimatePromptTokens, estimateTokens, replyContext } from '../domain/context-window';
import { ChatRateLimitedError, QuotaExceededError, type Message } from '../domain/message';
import { estimateCostMicros } from '../domain/pricing';
import type { ChatMetrics } from '../ports/chat-metrics';
import { ModelStreamError, ModelUnavailableError, type ChatModel, type ChatTurn } from '../ports/chat-model';
import type { MonthlyQuota, TurnRepository } from '../ports/message-repository';
import type { RateLimiter } from '#shared/rate-limit/rate-limiter';
import { StoredDeltas } from './stored-deltas';

/**
 * The events of one turn, in order: `message` (the stored user message of a new turn, or the
 * emptied reply of a regeneration), `reply` (a new turn's reply as it starts, so a client knows
 * which reply to stop), any `delta`s, then `done` or `error`.
 */
export type TurnEvent =
  | { readonly type: 'message'; readonly message: Message }
  | { readonly type: 'reply'; readonly message: Message }
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'done'; readonly message: Message }
  | { readonly type: 'error'; readonly error: DomainError; readonly message: Message };

/** What writing a reply needs: the chat use cases share it. */
export interface ReplyDeps {
  readonly messages: TurnRepository;
  readonly model: ChatModel;
  readonly limiter: RateLimiter;
  readonly metrics: ChatMetrics;
  /** The monthly tokens of a role, for users without a quota of their own. */
  readonly roleQuota: RoleQuota;
  /** Tokens of history sent with each message (the model's context window, less the reply). */
  readonly contextBudgetTokens: number;
  readonly systemPrompt: string;
  readonly now?: () => Date;
  /** While no words have come, how often the writer looks for a Stop. @default 1000 */
  readonly stopCheckMs?: number;
  /**
   * How long the model may write a reply answered in one piece (BUFFERED_REPLY_TIMEOUT_MS): its
   * caller is cut off past it. @default none
   */
  readonly bufferedReplyDeadlineMs?: number;
  /** Replies the caller may have being written at once (StartTurnInput). @default no limit */
  readonly maxRepliesInFlight?: number;
}

/** The reply as it ended: `error` is set when the model failed (the reply is stored `failed`). */
export interface WrittenReply {
  readonly assistantMessage: Message;
  readonly error?: DomainError;
}

/** The model a message asked for, or the default; 400 naming `body.model` for another. */
function chosenModel(model: ChatModel, asked: string | undefined): string {
  const chosen = asked ?? model.models[0] ?? 'offline';
  if (!model.models.includes(chosen)) {
    throw new ValidationError([
      { path: 'body.model', message: `must be one of: ${model.models.join(', ')}` },
    ]);
  }
  return chosen;
}

/** Seconds from `now` to the first of next month, UTC (when a monthly quota renews). */
function secondsToNextMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/**
 * What every reply goes through before anything is stored: the model asked for (400 for one not
 * offered), the rate limit and the month's tokens (429). Answers the model and the caller's quota
 * (for the turn to check again: `started`), and starts the model's first cache read (its shared
 * circuit state) so that it overlaps the turn's storing.
 */
export async function admitReply(
  deps: ReplyDeps,
  caller: Caller,
  asked: string | undefined,
): Promise<{ model: string; quota: MonthlyQuota }> {
  const model = chosenModel(deps.model, asked);
  const quota = await checkAllowance(deps, caller, deps.now?.() ?? new Date());
  deps.model.prepare?.();
  return { model, quota };
}

/**
 * `start`, the turn or regeneration given admitReply's quota, counted as a refusal when the
 * statement finds the quota used up: a reply of the caller's ended since admitReply read it.
 */
export async function started<T>(deps: ReplyDeps, start: Promise<T>): Promise<T> {
  try {
    return await start;
  } catch (error) {
    if (error instanceof QuotaExceededError) deps.metrics.rejected('quota');
    throw error;
  }
}

/**
 * 429 when the caller is over the rate limit or the month's tokens; nothing is stored. The usage
 * read may be cached and is read before the turn's lock: the turn checks the quota it answers
 * again, in its statement.
 */
async function checkAllowance(deps: ReplyDeps, caller: Caller, now: Date): Promise<MonthlyQuota> {
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
  const retryAfterSeconds = secondsToNextMonth(now);
  if (usage.used >= quota) {
    deps.metrics.rejected('quota');
    throw new QuotaExceededError(quota, retryAfterSeconds);
  }
  return { tokens: quota, since: `${now.toISOString().slice(0, 8)}01`, retryAfterSeconds };
}

/**
 * A model's text as it can be stored: PostgreSQL text cannot hold a NUL character, which a model
 * can write (asked to, or from a byte-level token), so it is kept as U+FFFD, the character that
 * stands for one that cannot be shown. Stored as it came, the reply's saves and its end failed,
 * leaving it `streaming` and its conversation busy until it was taken for abandoned.
 */
const storable = (text: string): string => text.replaceAll('\u0000', '\ufffd');

/** The reason the writer aborts the model with when the owner stopped the reply (never shown). */
class ReplyStoppedSignal extends Error {
  constructor() {
    super('The owner stopped the reply.');
    this.name = 'ReplyStoppedSignal';
  }
}

/** The reason the writer aborts the model with when the reply's text could not be stored. */
class ReplyNotStoredSignal extends Error {
  constructor(override readonly cause: unknown) {
    super('The reply could not be stored.');
    this.name = 'ReplyNotStoredSignal';
  }
}

/**
 * The reason the writer aborts the model with when a reply answered in one piece (no streaming)
 * reached its deadline: the caller's connection would be cut before it ends (CloudFront waits
 * 60 s for an origin's first byte).
 */
class ReplyDeadlineSignal extends Error {
  constructor(readonly deadlineMs: number) {
    super('The reply reached its deadline.');
    this.name = 'ReplyDeadlineSignal';
  }
}

/** What the caller of a reply that reached its deadline is told: how to get a long reply. */
const pastDeadline = (deadlineMs: number) =>
  new ServiceUnavailableError(
    `The reply took longer than ${Math.ceil(deadlineMs / 1000)} s, the most a reply answered in one piece may ` +
      'take; what it wrote is kept. Ask with Accept: text/event-stream for a long reply.',
    5,
  );

/**
 * Why a reply whose stream ended as the model meant it to still fails: `empty`, nothing that shows
 * (no text, white space, zero-width characters), or `filtered`, the provider's content filter
 * ended it. Stored `complete`, either read as an answer, blank or whole, with nothing to tell the
 * person it was not.
 */
class ReplyEndedSignal extends Error {
  constructor(readonly reason: 'empty' | 'filtered') {
    super(reason);
  }
}

/** What the caller is told: the model answered, but said nothing, or its filter cut the reply. */
const endedReply = (reason: ReplyEndedSignal['reason']) =>
  new ServiceUnavailableError(
    reason === 'empty'
      ? 'The AI model sent an empty reply. Please try again.'
      : "The AI model's content filter stopped this reply; what it wrote before is kept.",
    5,
  );

/**
 * A reply whose text could not be stored: what the caller is told, since the model was not at
 * fault (the database was, for a moment).
 */
const notStored = () =>
  new ServiceUnavailableError('The reply could not be saved; try again in a moment.', 5);

/** Why a reply failed, in words safe to store and show (never the provider's own text). */
function failureOf(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof ReplyNotStoredSignal) return notStored();
  if (error instanceof ReplyDeadlineSignal) return pastDeadline(error.deadlineMs);
  if (error instanceof ReplyEndedSignal) return endedReply(error.reason);
  if (error instanceof ModelStreamError)
    return new ModelUnavailableError(error.reason === 'timeout' ? 'timeout' : 'server-error', 5);
  return new ModelUnavailableError('server-error', 5);
}

export interface ReplyToWrite {
  /** The stored `streaming` assistant message the reply is written into. */
  readonly assistantId: string;
  readonly model: string;
  /** The complete messages before the question, oldest first. */
  readonly history: readonly ChatTurn[];
  /** The message the reply answers. */
  readonly question: ChatTurn;
  /** The owner's own instructions for the model; null: none. */
  readonly instructions: string | null;
  /**
   * For a reply answered in one piece: how long the model may write before the reply ends
   * `failed` with what it wrote (the caller would be cut off). Absent: no deadline of our own.
   */
  readonly deadlineMs?: number | undefined;
}

/**
 * Streams the model's reply into the stored assistant message: every delta the caller receives
 * is already stored, and the reply ends `complete` (usage charged, `done`) or `failed` with the
 * reason (`error`; whatever was received is kept). The caller may go away at any point: the
 * reply still runs to its end, unless its owner stops it (`requestStop`): then it ends `complete`
 * with the text so far, its tokens estimated when the model could not report them.
 */
export async function writeReply(
  deps: ReplyDeps,
  caller: Caller,
  reply: ReplyToWrite,
  onEvent: (event: TurnEvent) => void,
): Promise<WrittenReply> {
  const { assistantId, model } = reply;
  // The owner's Stop reaches the writer through the database: with each save of the text, and
  // while nothing is saved (before the first words, or while the model is silent in the middle
  // of its reply, as when Stop is pressed on a reply that seems stuck) by a look every
  // `stopCheckMs`. The model is stopped, the text kept.
  const stop = new AbortController();
  const stopAsked = (asked: boolean) => {
    if (asked && !stop.signal.aborted) stop.abort(new ReplyStoppedSignal());
  };
  // A save answered since the last look: it told whether a Stop was asked, so no look is needed.
  let savedSinceLook = false;
  const deltas = new StoredDeltas(
    async (content) => {
      const asked = await deps.messages.saveProgress(assistantId, content);
      savedSinceLook = true;
      stopAsked(asked);
    },
    (text) => onEvent({ type: 'delta', text }),
    // Text that cannot be stored cannot be shown: the model is stopped rather than read on
    // unseen (and Stop, which arrives with the saves, would no longer reach the writer).
    (error) => {
      if (!stop.signal.aborted) stop.abort(new ReplyNotStoredSignal(error));
    },
  );
  const stoppedByOwner = () => stop.signal.reason instanceof ReplyStoppedSignal;

  const started = Date.now();
  let firstTokenAt: number | undefined;
  let promptTokens = 0;
  let completionTokens = 0;
  // Whether the Stop cut the model's stream short. A Stop seen only once the stream had ended
  // (at the last save, say) cut nothing: that reply is whole, and says so.
  let cut = false;
  // The provider's content filter ended the reply (ChatEvent `filtered`).
  let filtered = false;
  // The model wrote as much as it may (ChatEvent `truncated`).
  let truncated = false;
  const messages = replyContext(deps, reply.instructions, reply.history, reply.question);
  // The usage comes last in a stream: a reply cut short is charged by estimate, so a quota never
  // sees zero for a reply that cost something. A stopped call was under way (its prompt read);
  // a failed one costs something once text came (a call refused before any is not billed).
  const estimateUnreported = (stopped: boolean) => {
    if (promptTokens === 0 && (stopped || deltas.text.length > 0)) {
      promptTokens = estimatePromptTokens(messages);
      completionTokens = estimateTokens(deltas.text);
    }
  };
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
      stopped: cut,
      // Only a reply kept as an answer is cut short; a failed one says why it failed.
      truncated: status === 'complete' && truncated && !cut,
    });

  const reportCall = () =>
    deps.metrics.modelCall({
      model,
      latencyMs: Date.now() - started,
      timeToFirstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - started,
      promptTokens,
      completionTokens,
    });

  try {
    const deadline = reply.deadlineMs;
    const pastDeadlineTimer =
      deadline === undefined
        ? undefined
        : setTimeout(() => {
            if (!stop.signal.aborted) stop.abort(new ReplyDeadlineSignal(deadline));
          }, deadline);
    const lookForStop = setInterval(() => {
      if (savedSinceLook) {
        savedSinceLook = false;
        return;
      }
      void deps.messages.stopRequested(assistantId).then(stopAsked, () => undefined);
    }, deps.stopCheckMs ?? 1000);
    try {
      for await (const event of deps.model.stream({ model, messages, signal: stop.signal })) {
        // A model that does not heed the signal is left here.
        if (stop.signal.aborted) break;
        if (event.type === 'delta') {
          firstTokenAt ??= Date.now();
          deltas.push(storable(event.text));
        } else {
          promptTokens = event.promptTokens;
          completionTokens = event.completionTokens;
          filtered = event.filtered === true;
          truncated = event.truncated === true;
        }
      }
      // Ended early (a break, or a model that ends its stream when told to stop) or whole.
      cut = stoppedByOwner();
    } catch (cause) {
      if (!stop.signal.aborted) throw cause;
      cut = stoppedByOwner();
    } finally {
      clearInterval(lookForStop);
      clearTimeout(pastDeadlineTimer);
    }
    // Throws the save's failure, if any (the model was stopped for it).
    await deltas.flush().catch((error: unknown) => {
      throw new ReplyNotStoredSignal(error);
    });
    if (stop.signal.reason instanceof ReplyDeadlineSignal) {
      // Stopped as by its owner, so charged the same way: the call was under way.
      estimateUnreported(true);
      throw stop.signal.reason;
    }
    if (cut) estimateUnreported(true);
    // The filter's cut first: an empty reply it ended is no fault of the model's.
    else if (filtered) throw new ReplyEndedSignal('filtered');
    // Stopped before any words came, a reply is empty by its owner's wish; otherwise it is none.
    else if (!hasVisibleCharacter(deltas.text)) throw new ReplyEndedSignal('empty');
  } catch (cause) {
    const error = failureOf(cause);
    if (cause instanceof ReplyEndedSignal) {
      // The call itself ended (its usage charged): measured as one. An empty reply counts as the
      // model's failure, as a stream that broke does; a filtered one is no error of the model's
      // (nor of its alarm) but a refusal of what was asked.
      reportCall();
      if (cause.reason === 'empty') deps.metrics.modelError('stream', 'empty');
      if (deps.model.circuitState) deps.metrics.circuit(deps.model.circuitState());
    }
    // A reply that could not be stored, or reached our own deadline, is no error of the model's
    // (nor of its alarm).
    else if (!(cause instanceof ReplyNotStoredSignal || cause instanceof ReplyDeadlineSignal)) {
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
    }
    // Whatever was received is kept with the failure, so nothing the caller saw disappears.
    await deltas.flush().catch(() => undefined);
    estimateUnreported(false);
    const assistantMessage = await finish('failed', error);
    onEvent({ type: 'error', error, message: assistantMessage });
    // The caller was told; what no one foresaw, and a store that failed, still go to the logs.
    if (cause instanceof ReplyNotStoredSignal) throw cause.cause;
    if (!(
      cause instanceof DomainError ||
      cause instanceof ModelStreamError ||
      cause instanceof ReplyDeadlineSignal ||
      cause instanceof ReplyEndedSignal
    ))
      throw cause;
    return { assistantMessage, error };
  }

  const assistantMessage = await finish('complete');
  reportCall();
  if (assistantMessage.truncated) deps.metrics.replyCutShort(model);
  if (deps.model.circuitState) deps.metrics.circuit(deps.model.circuitState());
  onEvent({ type: 'done', message: assistantMessage });
  return { assistantMessage };
}
