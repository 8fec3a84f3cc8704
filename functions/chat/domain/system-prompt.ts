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
