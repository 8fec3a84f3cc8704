import { ValidationError } from '#shared/errors';
import type { ChatTurn } from '../ports/chat-model';

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Tokens for text the provider did not count: about four characters each for English (OpenAI's
 * rule of thumb). Quotas must never see zero for a reply that cost something.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Prompt tokens for a conversation, with the few tokens each message's framing costs. */
export function estimatePromptTokens(messages: readonly ChatTurn[]): number {
  return messages.reduce((sum, message) => sum + 4 + estimateTokens(message.content), 0);
}

/** Each model costs differently, so a caller may only pick from the allow-list. */
export function assertAllowedModel(model: string, models: readonly string[]): void {
  if (!models.includes(model))
    throw new ValidationError([{ path: 'model', message: `expected one of: ${models.join(', ')}` }]);
}
