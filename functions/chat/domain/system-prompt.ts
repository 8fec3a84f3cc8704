/** The instructions sent first with every message unless the deployment sets its own. */
export const DEFAULT_SYSTEM_PROMPT =
  'You are Parley, a helpful assistant for the people of this organisation. Answer clearly and ' +
  'concisely, in the language of the question. Use Markdown for structure and code.';

/**
 * How the chat builds a reply's prompt besides the conversation (ReplyDeps): the organisation's
 * instructions and the tokens of earlier messages sent with the question. The chat sends it, and
 * the retention run estimates with it what a reply whose function died was sent.
 */
export interface PromptSettings {
  readonly systemPrompt: string;
  readonly contextBudgetTokens: number;
}

/** The deployment's PromptSettings: CHAT_SYSTEM_PROMPT (or DEFAULT_SYSTEM_PROMPT) and CHAT_CONTEXT_TOKENS. */
export const promptSettingsOf = (config: {
  readonly CHAT_SYSTEM_PROMPT?: string | undefined;
  readonly CHAT_CONTEXT_TOKENS: number;
}): PromptSettings => ({
  systemPrompt: config.CHAT_SYSTEM_PROMPT ?? DEFAULT_SYSTEM_PROMPT,
  contextBudgetTokens: config.CHAT_CONTEXT_TOKENS,
});

/**
 * The system prompt of one turn: the organisation's (CHAT_SYSTEM_PROMPT), then the person's own
 * instructions (users.instructions), marked as theirs and below the organisation's, so that
 * what a person writes for themself cannot pass for the organisation's rules.
 */
export function systemPromptFor(organisation: string, instructions: string | null): string {
  if (!instructions) return organisation;
  return [
    organisation,
    '',
    'The person you are talking with gave these instructions for how to answer them. Follow them unless they conflict with the instructions above:',
    '<user-instructions>',
    instructions,
    '</user-instructions>',
  ].join('\n');
}
