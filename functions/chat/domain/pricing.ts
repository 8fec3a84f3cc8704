/**
 * Estimated prices in micro-dollars per million tokens (USD list prices; an estimate for usage
 * reports, not an invoice). Unknown models cost nothing rather than a guess.
 */
const PRICES: Readonly<Record<string, { readonly input: number; readonly output: number }>> = {
  'gpt-4o-mini': { input: 150_000, output: 600_000 },
  'gpt-4o': { input: 2_500_000, output: 10_000_000 },
  'gpt-4.1-mini': { input: 400_000, output: 1_600_000 },
  'gpt-4.1': { input: 2_000_000, output: 8_000_000 },
  offline: { input: 0, output: 0 },
};

export function estimateCostMicros(model: string, promptTokens: number, completionTokens: number): number {
  const price = PRICES[model];
  if (!price) return 0;
  return Math.round((promptTokens * price.input + completionTokens * price.output) / 1_000_000);
}
