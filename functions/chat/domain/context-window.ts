import type { ChatTurn } from '../ports/chat-model';

/** A rough token count (~4 characters a token for English text), enough to stay within a budget. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * The turns to send: the system prompt, then as many of the most recent earlier messages as fit
 * the budget, oldest first, ending with the new user message (always sent, even when it alone
 * fills the budget).
 */
export function contextWindow(
  system: string,
  history: readonly ChatTurn[],
  latest: ChatTurn,
  budgetTokens: number,
): ChatTurn[] {
  let left = budgetTokens - estimateTokens(system) - estimateTokens(latest.content);
  const kept: ChatTurn[] = [];
  for (let i = history.length - 1; i >= 0 && left > 0; i--) {
    const turn = history[i];
    if (!turn) continue;
    const cost = estimateTokens(turn.content);
    if (cost > left) break;
    kept.unshift(turn);
    left -= cost;
  }
  return [{ role: 'system', content: system }, ...kept, latest];
}
