import type { CircuitStateName } from './chat-model';

export type ModelErrorKind = 'unavailable' | 'stream' | 'other';

/** What the chat reports about each model call (Powertools metrics on AWS and locally). */
export interface ChatMetrics {
  modelCall(measure: {
    readonly model: string;
    readonly latencyMs: number;
    /** Undefined when no token came. */
    readonly timeToFirstTokenMs: number | undefined;
    readonly promptTokens: number;
    readonly completionTokens: number;
  }): void;
  modelError(kind: ModelErrorKind, reason: string): void;
  circuit(state: CircuitStateName): void;
  rejected(limit: 'quota' | 'rate'): void;
  /** A read through the cache, hit or miss (the hit rate is a dashboard figure). */
  cacheLookup(what: string, hit: boolean): void;
  /**
   * A reply the model ended at its length limit (kept, marked truncated): how often replies reach
   * CHAT_MAX_REPLY_TOKENS or the model's own limit, to tune the one against the other.
   */
  replyCutShort(model: string): void;
}
