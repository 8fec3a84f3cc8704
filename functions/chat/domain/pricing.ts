/**
 * Estimated prices in micro-dollars per million tokens (USD list prices; an estimate for usage
 * reports, not an invoice). Unknown models cost nothing rather than a guess: the chat warns of
 * them when it starts (`unpricedModels`).
 */
const PRICES: Readonly<Record<string, { readonly input: number; readonly output: number }>> = {
  'gpt-4o-mini': { input: 150_000, output: 600_000 },
  'gpt-4o': { input: 2_500_000, output: 10_000_000 },
  'gpt-4.1-mini': { input: 400_000, output: 1_600_000 },
  'gpt-4.1': { input: 2_000_000, output: 8_000_000 },
  offline: { input: 0, output: 0 },
};

/** A dated snapshot of a model (`gpt-4o-2024-08-06`): the model's name, then the date. */
const SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;

/** The model's price, or its snapshot's model's (a pinned `gpt-4o-mini-2024-07-18` costs as `gpt-4o-mini`). */
function priceOf(model: string) {
  if (Object.hasOwn(PRICES, model)) return PRICES[model];
  const base = SNAPSHOT.exec(model)?.[1];
  return base !== undefined && Object.hasOwn(PRICES, base) ? PRICES[base] : undefined;
}

export function estimateCostMicros(model: string, promptTokens: number, completionTokens: number): number {
  const price = priceOf(model);
  if (!price) return 0;
  return Math.round((promptTokens * price.input + completionTokens * price.output) / 1_000_000);
}

/** The models offered whose cost the usage reports cannot estimate (they show $0 for them). */
export function unpricedModels(models: readonly string[]): string[] {
  return models.filter((model) => priceOf(model) === undefined);
}
