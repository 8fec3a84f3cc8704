import type { ChatTurn } from '../ports/chat-model';
import { systemPromptFor, type PromptSettings } from './system-prompt';

/**
 * A token count that needs no tokenizer: a token for every four bytes of UTF-8. For English text
 * that is OpenAI's rule of thumb (about four characters a token); for other scripts it is no less
 * than a quarter of what they cost, because a byte-level BPE token is at least one byte. Counting
 * characters instead made a dense script (Hangul, CJK, emoji) cost up to nine times its count, in
 * the context budget and in what a stopped reply is charged. Enough to stay within a budget, and
 * the tokens of text the provider did not count: quotas must never see zero for a reply that cost
 * something.
 */
export const estimateTokens = (text: string): number => tokensForBytes(Buffer.byteLength(text, 'utf8'));

/** `estimateTokens` of a text known by its UTF-8 length alone (a reply's kept text, counted in SQL). */
export const tokensForBytes = (bytes: number): number => Math.ceil(bytes / 4);

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

/**
 * The turns a reply's model call is sent: the organisation's and the owner's instructions, the
 * earlier messages that fit the budget, then the question. `writeReply` sends it; a reply whose
 * usage never came is charged its estimate (`estimateReplyPromptTokens`).
 */
export const replyContext = (
  settings: PromptSettings,
  instructions: string | null,
  history: readonly ChatTurn[],
  question: ChatTurn,
): ChatTurn[] =>
  contextWindow(
    systemPromptFor(settings.systemPrompt, instructions),
    history,
    question,
    settings.contextBudgetTokens,
  );

/**
 * The prompt tokens of a reply whose call never reported its usage (its function died), by the
 * history it was written after: its question last, the earlier messages before it. The estimate of
 * `replyContext`, what that call was sent, not of the whole conversation: a long conversation's
 * reply is sent at most the budget. None without a history (nothing is known of the call).
 */
export function estimateReplyPromptTokens(
  settings: PromptSettings,
  instructions: string | null,
  history: readonly ChatTurn[],
): number {
  const question = history.at(-1);
  if (!question) return 0;
  return estimatePromptTokens(replyContext(settings, instructions, history.slice(0, -1), question));
}
