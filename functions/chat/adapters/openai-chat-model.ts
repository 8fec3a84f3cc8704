import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

import type { Cache } from '#shared/cache/cache';
import {
  ModelStreamError,
  ModelUnavailableError,
  type ChatEvent,
  type ChatModel,
  type ChatRequest,
  type CircuitStateName,
  type ModelUnavailableReason,
} from '../ports/chat-model';
import { fullJitterDelay, retryAfterMs } from './backoff';
import {
  CircuitOpenError,
  sharedCircuitBreaker,
  type CircuitLogger,
  type SharedCircuitBreaker,
} from './circuit-breaker';
import { OpenAIKeyError, type OpenAIKeySource } from './openai-key';
import {
  assertAllowedModel,
  estimatePromptTokens,
  estimateTokens,
  sleep as realSleep,
  type Sleep,
} from './stream-support';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIChatModelOptions {
  readonly apiKey: OpenAIKeySource;
  /** Any OpenAI-compatible server. @default https://api.openai.com/v1 */
  readonly baseURL?: string | undefined;
  /** The allow-list; the first is the default. */
  readonly models: readonly string[];
  /** From sending the request to its first chunk (connecting, queueing, time to first token). */
  readonly firstTokenTimeoutMs: number;
  /** Longest silence between two chunks. */
  readonly idleTimeoutMs: number;
  /** The whole call, retries and their pauses included. */
  readonly totalTimeoutMs: number;
  /** Calls per reply, the first included. */
  readonly maxAttempts: number;
  /**
   * The most tokens a reply may have (`max_completion_tokens`, reasoning tokens included); the
   * model ends a longer one there (`finish_reason` `length`). @default none: the model's own limit
   */
  readonly maxReplyTokens?: number | undefined;
  /** Cap of the first retry's jittered delay; doubles per retry. @default 250 */
  readonly retryBaseDelayMs?: number;
  /** @default 4_000 */
  readonly retryMaxDelayMs?: number;
  /**
   * Longest Retry-After we wait out ourselves; a longer one ends the call at once and is passed on
   * to the client, which can wait without holding a Lambda. @default 10_000
   */
  readonly retryAfterMaxMs?: number;
  readonly circuit: { readonly failureThreshold: number; readonly openMs: number };
  /** Shares the circuit between instances. */
  readonly cache?: Cache | undefined;
  /** Replaces the breaker built from `circuit` and `cache` (tests). */
  readonly breaker?: SharedCircuitBreaker;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly logger?: CircuitLogger;
  /** The SDK's fetch (tests). */
  readonly fetch?: typeof fetch;
}

/** Retry-After for a failure the provider gave no delay for: short, the circuit guards the rest. */
const DEFAULT_RETRY_AFTER_MS = 5_000;
/** A Retry-After we pass on is bounded: a far-future HTTP date must not park a client for days. */
const MAX_PASSED_ON_RETRY_AFTER_MS = 10 * 60 * 1000;

type TimeoutKind = 'first-token' | 'idle' | 'total';

/** The reason our own timers abort a call with, told apart from the caller's abort. */
class TimeoutAbort extends Error {
  override readonly name = 'TimeoutAbort';
  constructor(readonly kind: TimeoutKind) {
    super(`no ${kind === 'total' ? 'complete reply' : kind === 'idle' ? 'chunk' : 'first chunk'} in time`);
  }
}

/** A chunk the SDK parsed but that is not a chat.completion.chunk. */
class MalformedChunkError extends Error {
  override readonly name = 'MalformedChunkError';
}

/** One failed call before the first token, classified for the retry loop and the breaker. */
class AttemptFailure extends Error {
  override readonly name = 'AttemptFailure';
  constructor(
    readonly reason: ModelUnavailableReason,
    readonly options: {
      readonly retryable: boolean;
      /** Says the provider is unwell (opens the circuit) rather than that this request is bad. */
      readonly blamesProvider: boolean;
      readonly status?: number | undefined;
      readonly retryAfterMs?: number | undefined;
      readonly cause?: unknown;
    },
  ) {
    super(`model call failed: ${reason}${options.status ? ` (HTTP ${options.status})` : ''}`, {
      cause: options.cause,
    });
  }
}

/**
 * What a failed attempt's log line says of its cause: its name (SyntaxError, TypeError, …) and,
 * for the provider's errors, which kind (APIConnectionError or APIError: the SDK's classes all
 * call themselves "Error", and the bundle is minified, so neither name nor constructor tells)
 * with the error's type and code when it gave them (identifiers such as `invalid_request_error`,
 * `context_length_exceeded`). Messages only where we know what they hold: an OpenAIKeyError's
 * are ours and name the secret, never its value (openai-key.ts), and its own cause, when Secrets
 * Manager answered, is the service's error (AccessDeniedException, ResourceNotFoundException) an
 * operator needs. The provider's messages are left out: a 400's may quote the request, which
 * holds the conversation.
 */
function describeCause(cause: unknown): Record<string, string> {
  if (!(cause instanceof Error)) return {};
  if (cause instanceof OpenAIKeyError) {
    const described: Record<string, string> = { cause: cause.name, causeMessage: cause.message };
    // A Secrets Manager error answer's message is the service's; anything else (a JSON parser's
    // message quotes the text it read, which may be the secret) is named only. Told apart by the
    // HTTP status an AwsServiceError carries, not by its class: importing the AWS client here would
    // load it at every cold start, even where the key is local (openai-key.ts loads it lazily).
    const inner = cause.cause;
    if (inner instanceof Error)
      described.keyError = answeredByService(inner) ? `${inner.name}: ${inner.message}` : inner.name;
    return described;
  }
  if (cause instanceof APIConnectionError) return { cause: 'APIConnectionError' };
  if (cause instanceof APIError)
    return {
      cause: 'APIError',
      ...(typeof cause.type === 'string' ? { causeType: cause.type } : {}),
      ...(typeof cause.code === 'string' ? { causeCode: cause.code } : {}),
    };
  return { cause: cause.name };
}

/** An AWS service's error answer (AwsServiceError): it has the status the service answered with. */
function answeredByService(error: Error): boolean {
  const { $fault, $metadata } = error as { $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return typeof $fault === 'string' && typeof $metadata?.httpStatusCode === 'number';
}

/** A call that has produced its first delta (or its whole, empty reply) and can be read on. */
interface OpenedReply {
  /** Events read before the caller saw anything: up to and including the first delta. */
  readonly head: readonly ChatEvent[];
  /** The rest of the reply; throws ModelStreamError when it breaks. */
  readonly tail: () => AsyncIterable<ChatEvent> | Iterable<ChatEvent>;
  readonly close: () => void;
}

/**
 * The chat model on OpenAI or any OpenAI-compatible server, through the official SDK with its own
 * retries off: retries here happen only before the first token reached the caller (a retry after
 * that would repeat or contradict text already shown), with full-jitter backoff that honours
 * Retry-After, within a total deadline, behind a circuit breaker shared through the cache.
 */
export function openAIChatModel(
  options: OpenAIChatModelOptions,
): ChatModel & { circuitState(): CircuitStateName; unavailableForMs(): Promise<number> } {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const retryAfterMaxMs = options.retryAfterMaxMs ?? 10_000;
  const logger = options.logger;
  const breaker =
    options.breaker ??
    sharedCircuitBreaker({
      name: 'openai',
      failureThreshold: options.circuit.failureThreshold,
      openMs: options.circuit.openMs,
      cache: options.cache,
      now,
      logger,
      isFailure: (error) => error instanceof AttemptFailure && error.options.blamesProvider,
    });
  const client = new OpenAI({
    apiKey: () => options.apiKey.get(),
    baseURL: options.baseURL ?? DEFAULT_OPENAI_BASE_URL,
    // Our retries only: the SDK's would also retry in ways we cannot bound by the first token.
    maxRetries: 0,
    // A backstop: our own timers end a call earlier (the SDK's covers only up to the headers).
    timeout: options.totalTimeoutMs,
    // The SDK logs unparsable chunks verbatim, which can be a user's conversation.
    logLevel: 'off',
    // Configuration comes from our validated config, never from variables the SDK reads itself.
    organization: null,
    project: null,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  /** Sends the request and reads up to the first delta, within the first-token and idle timeouts. */
  async function open(request: ChatRequest, total: AbortSignal): Promise<OpenedReply> {
    const controller = new AbortController();
    const unlink = [linkAbort(request.signal, controller), linkAbort(total, controller)];
    let timer: NodeJS.Timeout | undefined;
    const close = () => {
      clearTimeout(timer);
      for (const undo of unlink) undo();
      // Ends the HTTP exchange when the caller stops reading early or the reply broke.
      if (!controller.signal.aborted) controller.abort();
    };
    /** Waits for the next chunk for at most the idle timeout. */
    const read = async <T>(next: () => Promise<T>): Promise<T> => {
      timer = setTimeout(() => controller.abort(new TimeoutAbort('idle')), options.idleTimeoutMs);
      try {
        return await next();
      } finally {
        clearTimeout(timer);
      }
    };
    /** The SDK ends a stream quietly when its signal aborts; this says why it did, if it did. */
    const abortReason = (): unknown => (controller.signal.aborted ? controller.signal.reason : undefined);

    const reply = new ReplyState(request);
    try {
      await options.apiKey.get();
      // One budget for connecting, the response headers and the first chunk, however they split.
      timer = setTimeout(
        () => controller.abort(new TimeoutAbort('first-token')),
        options.firstTokenTimeoutMs,
      );
      const stream = await client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages.map(({ role, content }) => ({ role, content })),
          stream: true,
          stream_options: { include_usage: true },
          // Not `max_tokens`: OpenAI deprecated it, and its reasoning models refuse it.
          ...(options.maxReplyTokens ? { max_completion_tokens: options.maxReplyTokens } : {}),
        },
        { signal: controller.signal, maxRetries: 0 },
      );
      const iterator = stream[Symbol.asyncIterator]();
      let result = await iterator.next();
      clearTimeout(timer);

      const head: ChatEvent[] = [];
      for (; ; result = await read(() => iterator.next())) {
        if (result.done) {
          const reason = abortReason();
          if (reason !== undefined) throw reason;
          if (!reply.finished) throw new AttemptFailure('network', { retryable: true, blamesProvider: true });
          head.push(reply.usage());
          return { head, tail: () => [], close };
        }
        const events = reply.accept(result.value);
        head.push(...events);
        if (events.some((event) => event.type === 'delta')) break;
      }
      return { head, tail: () => readTail(iterator, reply, read, abortReason, request.signal), close };
    } catch (error) {
      const aborted = abortReason();
      close();
      throw toAttemptFailure(error, aborted, request.signal);
    }
  }

  function toAttemptFailure(
    error: unknown,
    aborted: unknown,
    callerSignal: AbortSignal | undefined,
  ): unknown {
    // The caller's own abort is no failure of the provider's: pass it through untouched.
    if (callerSignal?.aborted) return callerSignal.reason;
    if (error instanceof AttemptFailure) return error;
    // Our timers abort through the controller, so a timeout always shows as its abort reason.
    const timeout = aborted instanceof TimeoutAbort ? aborted : undefined;
    if (timeout)
      return new AttemptFailure('timeout', {
        retryable: timeout.kind !== 'total',
        blamesProvider: true,
        cause: error,
      });
    if (error instanceof OpenAIKeyError)
      return new AttemptFailure('server-error', { retryable: false, blamesProvider: false, cause: error });
    if (error instanceof APIConnectionError)
      return new AttemptFailure(/timed? ?out/i.test(error.message) ? 'timeout' : 'network', {
        retryable: true,
        blamesProvider: true,
        cause: error,
      });
    if (error instanceof APIError) {
      const status = error.status;
      const wait = retryAfterMs(error.headers, now());
      if (status === undefined)
        // An `error` event inside an otherwise good stream.
        return new AttemptFailure('server-error', { retryable: true, blamesProvider: true, cause: error });
      if (status === 429)
        return new AttemptFailure('rate-limited', {
          retryable: true,
          blamesProvider: true,
          status,
          retryAfterMs: wait,
          cause: error,
        });
      if (status >= 500 || status === 408 || status === 409)
        return new AttemptFailure('server-error', {
          retryable: true,
          blamesProvider: true,
          status,
          retryAfterMs: wait,
          cause: error,
        });
      // A refused key fails every call alike, so it counts against the provider; a bad request
      // (too long, unknown parameter) is this request's problem only.
      const keyRefused = status === 401 || status === 403;
      if (keyRefused) options.apiKey.invalidate();
      return new AttemptFailure('server-error', {
        retryable: false,
        blamesProvider: keyRefused,
        status,
        cause: error,
      });
    }
    if (error instanceof SyntaxError || error instanceof MalformedChunkError)
      return new AttemptFailure('server-error', { retryable: true, blamesProvider: true, cause: error });
    // undici reports a body cut short as a TypeError ("terminated").
    if (error instanceof TypeError)
      return new AttemptFailure('network', { retryable: true, blamesProvider: true, cause: error });
    return error;
  }

  async function* readTail(
    iterator: AsyncIterator<ChatCompletionChunk>,
    reply: ReplyState,
    read: <T>(next: () => Promise<T>) => Promise<T>,
    abortReason: () => unknown,
    callerSignal: AbortSignal | undefined,
  ): AsyncGenerator<ChatEvent> {
    const broken = (error: unknown): unknown => {
      if (callerSignal?.aborted) return callerSignal.reason;
      const aborted = abortReason();
      if (aborted instanceof TimeoutAbort || error instanceof TimeoutAbort)
        return new ModelStreamError('timeout', 'The model stopped sending its reply in time.');
      if (error instanceof SyntaxError || error instanceof MalformedChunkError)
        return new ModelStreamError('malformed', 'The model sent a reply chunk that could not be read.');
      if (error instanceof APIError && !(error instanceof APIConnectionError))
        return new ModelStreamError(
          'server-error',
          'The model reported an error in the middle of its reply.',
        );
      return new ModelStreamError('cut', 'The connection to the model broke in the middle of its reply.');
    };
    for (;;) {
      let result: IteratorResult<ChatCompletionChunk>;
      try {
        result = await read(() => iterator.next());
      } catch (error) {
        throw withCause(broken(error), error);
      }
      if (result.done) {
        const aborted = abortReason();
        // A server silent after the end it sent (its finish or usage chunk), without `[DONE]`:
        // that end is the reply's, and our timer only closed the connection it held open.
        if (aborted !== undefined && !(reply.finished && aborted instanceof TimeoutAbort))
          throw broken(aborted);
        if (!reply.finished) throw broken(undefined);
        yield reply.usage();
        return;
      }
      let events: ChatEvent[];
      try {
        events = reply.accept(result.value);
      } catch (error) {
        throw withCause(broken(error), error);
      }
      yield* events;
    }
  }

  async function openWithRetries(
    request: ChatRequest,
    total: AbortSignal,
    startedAt: number,
  ): Promise<OpenedReply> {
    const waitSignal = request.signal ? AbortSignal.any([request.signal, total]) : total;
    for (let attempt = 1; ; attempt++) {
      try {
        // The caller's Stop also ends a wait for another call's probe of a half-open circuit.
        return await breaker.execute(() => open(request, total), request.signal);
      } catch (error) {
        if (error instanceof CircuitOpenError)
          throw new ModelUnavailableError('circuit-open', error.retryAfterMs / 1000, {
            attempts: attempt - 1,
          });
        if (!(error instanceof AttemptFailure)) throw error;
        const { retryable, status, retryAfterMs: asked } = error.options;
        const giveUp = (reason = error.reason, waitMs = asked ?? DEFAULT_RETRY_AFTER_MS) =>
          new ModelUnavailableError(reason, Math.min(waitMs, MAX_PASSED_ON_RETRY_AFTER_MS) / 1000, {
            ...(status === undefined ? {} : { upstreamStatus: status }),
            attempts: attempt,
          });
        logger?.warn('model call failed', {
          reason: error.reason,
          status,
          attempt,
          retryable,
          ...describeCause(error.options.cause),
        });
        if (!retryable || attempt >= options.maxAttempts) throw giveUp();
        if (asked !== undefined && asked > retryAfterMaxMs) throw giveUp();
        const delay =
          asked ??
          fullJitterDelay(attempt, {
            baseMs: options.retryBaseDelayMs ?? 250,
            maxMs: options.retryMaxDelayMs ?? 4_000,
            random,
          });
        // Waiting past the deadline only to time out: tell the client now.
        if (now() + delay >= startedAt + options.totalTimeoutMs) throw giveUp();
        try {
          await sleep(delay, waitSignal);
        } catch (sleepError) {
          if (request.signal?.aborted) throw request.signal.reason;
          if (total.aborted) throw giveUp('timeout', DEFAULT_RETRY_AFTER_MS);
          throw sleepError;
        }
      }
    }
  }

  return {
    kind: 'openai',
    models: options.models,
    circuitState: () => breaker.state(),
    unavailableForMs: () => breaker.openForMs(),
    prepare: () => breaker.prefetch(),
    async *stream(request: ChatRequest): AsyncGenerator<ChatEvent> {
      assertAllowedModel(request.model, options.models);
      request.signal?.throwIfAborted();
      const startedAt = now();
      const total = new AbortController();
      const totalTimer = setTimeout(() => total.abort(new TimeoutAbort('total')), options.totalTimeoutMs);
      let reply: OpenedReply | undefined;
      try {
        reply = await openWithRetries(request, total.signal, startedAt);
        yield* reply.head;
        yield* reply.tail();
      } finally {
        clearTimeout(totalTimer);
        reply?.close();
      }
    },
  };
}

/**
 * The most tokens one count of a reply's usage may report and be believed: ten times the largest
 * context window a model offers (about a million tokens), so no true count comes near it. Past it
 * the count is a compatible server's nonsense (1e300, say): charged as reported it would spend a
 * month's quota at once and overflow the integer columns it is stored in (2^31 - 1), failing the
 * reply's end. Such a count is estimated instead, as a missing one is, rather than capped: a cap
 * would charge the user a fortune that the reply never cost.
 */
const MAX_REPORTED_TOKENS = 10_000_000;

/**
 * A usage count as the server reported it, when it is one: a whole number of tokens from 0 to
 * MAX_REPORTED_TOKENS. Anything else (a fraction, a negative, a string, null)
 * is none, and the count is estimated: stored as sent, a fraction or a negative was refused by
 * the database, which left the reply `streaming` and its conversation busy.
 */
function reportedCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_REPORTED_TOKENS
    ? value
    : undefined;
}

/** What a reply has carried so far, and the events each chunk adds. */
class ReplyState {
  finished = false;
  /** The provider's content filter ended the reply (`finish_reason` `content_filter`). */
  private filtered = false;
  /** The model wrote as much as it may (`finish_reason` `length`). */
  private truncated = false;
  private text = '';
  private counted: { promptTokens?: number | undefined; completionTokens?: number | undefined } = {};

  constructor(private readonly request: ChatRequest) {}

  accept(chunk: unknown): ChatEvent[] {
    if (!isRecord(chunk) || !Array.isArray(chunk.choices))
      throw new MalformedChunkError('a chunk without choices');
    const events: ChatEvent[] = [];
    for (const choice of chunk.choices as unknown[]) {
      if (!isRecord(choice)) throw new MalformedChunkError('a choice that is not an object');
      // n = 1 is all we ask for; a server that sends more choices gets its first one heard.
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = choice.delta;
      if (isRecord(delta) && typeof delta.content === 'string' && delta.content !== '') {
        this.text += delta.content;
        events.push({ type: 'delta', text: delta.content });
      }
      if (typeof choice.finish_reason === 'string') {
        this.finished = true;
        if (choice.finish_reason === 'content_filter') this.filtered = true;
        else if (choice.finish_reason === 'length') this.truncated = true;
      }
    }
    const usage = chunk.usage;
    if (
      isRecord(usage) &&
      typeof usage.prompt_tokens === 'number' &&
      typeof usage.completion_tokens === 'number'
    ) {
      this.counted = {
        promptTokens: reportedCount(usage.prompt_tokens),
        completionTokens: reportedCount(usage.completion_tokens),
      };
      // Some compatible servers end with the usage chunk and no finish_reason.
      this.finished = true;
    }
    return events;
  }

  /** The provider's counts, each estimated when a compatible server sends none it can be held to. */
  usage(): ChatEvent {
    return {
      type: 'usage',
      promptTokens: this.counted.promptTokens ?? estimatePromptTokens(this.request.messages),
      completionTokens: this.counted.completionTokens ?? estimateTokens(this.text),
      ...(this.filtered ? { filtered: true } : {}),
      ...(this.truncated ? { truncated: true } : {}),
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Aborts `target` with `source`'s reason when `source` aborts; returns the undo. */
function linkAbort(source: AbortSignal | undefined, target: AbortController): () => void {
  if (!source) return () => {};
  if (source.aborted) {
    target.abort(source.reason);
    return () => {};
  }
  const onAbort = () => target.abort(source.reason);
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}

function withCause(error: unknown, cause: unknown): unknown {
  if (error instanceof ModelStreamError && cause !== undefined && error.cause === undefined)
    Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}
