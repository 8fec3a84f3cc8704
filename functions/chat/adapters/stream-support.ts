import { ValidationError } from '#shared/errors';

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

/** Tokens for text the provider did not count: one estimate for the domain and the models. */
export { estimatePromptTokens, estimateTokens } from '../domain/context-window';

/** Each model costs differently, so a caller may only pick from the allow-list. */
export function assertAllowedModel(model: string, models: readonly string[]): void {
  if (!models.includes(model))
    throw new ValidationError([{ path: 'model', message: `expected one of: ${models.join(', ')}` }]);
}
