import { ServiceUnavailableError } from '#shared/errors';

/**
 * The model-access port of the chat feature: one streamed reply per call, whatever the provider.
 * Use cases depend on this file only; adapters live in ../adapters.
 */
export interface ChatTurn {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatTurn[];
  /**
   * Aborts the call (client gone is NOT a reason to abort: the reply is still stored). When it
   * aborts, the stream throws `signal.reason`, as `fetch` does, and the provider is not blamed.
   */
  readonly signal?: AbortSignal;
}

export type ChatEvent =
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'usage';
      readonly promptTokens: number;
      readonly completionTokens: number;
      /**
       * True when the provider's content filter ended the reply (OpenAI's `finish_reason`
       * `content_filter`): what came before is all there is. Absent: it ended on its own.
       */
      readonly filtered?: boolean;
      /**
       * True when the model ended the reply because it had written as much as it may (OpenAI's
       * `finish_reason` `length`): the reply is kept as it came, and marked as cut short.
       */
      readonly truncated?: boolean;
    };

export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface ChatModel {
  /** 'openai' (any OpenAI-compatible server) or the built-in 'offline' model. */
  readonly kind: 'openai' | 'offline';
  /** Models a caller may pick; the first is the default. */
  readonly models: readonly string[];
  /**
   * Streams one reply. Throws ModelUnavailableError (503 + Retry-After, maps via DomainError) before
   * the first delta when the provider cannot be reached/keeps failing or the circuit is open; throws
   * ModelStreamError after deltas were yielded when the stream breaks mid-way (timeout, cut,
   * malformed chunk). A model outside `models` is refused with a ValidationError before any call.
   * The last event of a complete reply is always one `usage` event.
   */
  stream(request: ChatRequest): AsyncIterable<ChatEvent>;
  /**
   * Starts what the next `stream` needs first (the shared circuit state), so it overlaps the
   * caller's own I/O; a `stream` more than a moment later reads afresh. Optional, never throws.
   */
  prepare?(): void;
  /** The provider's circuit breaker, for metrics and readiness; absent when there is none. */
  circuitState?(): CircuitStateName;
  /**
   * How long the provider's circuit breaker will still refuse calls, in ms (0: it would take
   * one); absent when there is none. Never throws.
   */
  unavailableForMs?(): Promise<number>;
}

export type ModelUnavailableReason = 'circuit-open' | 'rate-limited' | 'server-error' | 'network' | 'timeout';

const UNAVAILABLE_MESSAGES: Record<ModelUnavailableReason, string> = {
  'circuit-open': 'The AI model is temporarily unavailable. Please try again shortly.',
  'rate-limited': 'The AI model is receiving too many requests. Please try again shortly.',
  'server-error': 'The AI model could not answer. Please try again shortly.',
  network: 'The AI model could not be reached. Please try again shortly.',
  timeout: 'The AI model did not answer in time. Please try again shortly.',
};

/**
 * The model could not start a reply: nothing reached the caller, so the request may be repeated
 * after `retryAfterSeconds`. Its message is ours and safe to show; the provider's text never is.
 */
export class ModelUnavailableError extends ServiceUnavailableError {
  override readonly name = 'ModelUnavailableError';
  constructor(
    readonly reason: ModelUnavailableReason,
    retryAfterSeconds: number,
    readonly details: {
      /** HTTP status the provider answered with, when it answered. */
      readonly upstreamStatus?: number;
      /** Calls made to the provider for this request (0 when refused up front). */
      readonly attempts?: number;
    } = {},
  ) {
    // Retry-After is a whole number of seconds and must never tell a client to retry at once.
    super(UNAVAILABLE_MESSAGES[reason], Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

export type ModelStreamReason = 'timeout' | 'cut' | 'malformed' | 'server-error';

/**
 * The reply broke after deltas reached the caller. Never retried (the caller has shown part of a
 * reply), so the use case stores what arrived and marks the message failed.
 */
export class ModelStreamError extends Error {
  override readonly name = 'ModelStreamError';
  constructor(
    readonly reason: ModelStreamReason,
    message = `The model's reply broke off (${reason}).`,
  ) {
    super(message);
  }
}
