import { writtenText } from '#shared/http/written-text';
import * as z from '#shared/zod';
import { INSTRUCTIONS_MAX } from '../domain/instructions';

/** What the two instructions routes answer. */
export const instructionsSchema = z.object({
  instructions: z.nullable(z.string()).register(z.globalRegistry, {
    description: 'Sent to the model with each of your messages, after the organisation’s own; null: none',
  }),
});

/** Instructions as a person writes them: trimmed, 1 to INSTRUCTIONS_MAX characters, line breaks allowed. */
export const instructionsText = writtenText(INSTRUCTIONS_MAX, {
  expected: 'expected a string, or null for none',
  empty: 'must not be empty (send null for none)',
});
