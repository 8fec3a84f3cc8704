import type { ChatTurn } from '../ports/chat-model';

/**
 * A rough token count (~4 characters a token for English text, OpenAI's rule of thumb), enough to
 * stay within a budget, and the tokens of text the provider did not count: quotas must never see
 * zero for a reply that cost something.
 */
export const estimateTokens = (text: string): number => tokensForChars(text.length);

/** `estimateTokens` of a text known by its length alone (a reply's kept text, counted in SQL). */
export const tokensForChars = (chars: number): number => Math.ceil(chars / 4);

/** Prompt tokens for a conversation, with the few tokens each message's framing costs. */
export const estimatePromptTokens = (messages: readonly ChatTurn[]): number =>
  messages.reduce((sum, message) => sum + 4 + estimateTokens(message.content), 0);

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
