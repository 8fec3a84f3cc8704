import { hasBidiControls, hasVisibleCharacter } from '#shared/domain/text';
import * as z from '#shared/zod';
import { TITLE_MAX } from '../domain/conversation';

/** Control characters have no place in a title. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A title as a person gives it: trimmed, 1 to 200 characters of which at least one shows (a title
 * of zero-width spaces, fillers or lone combining marks would list as a blank line), no control
 * characters, and no bidirectional embedding, override or isolate, refused rather than removed so
 * that what is stored is what was sent: one of them makes a title read as another ("Trojan
 * Source"), in the list, the export and every place it is shown. Direction marks (U+200E, U+200F)
 * are allowed: right-to-left titles need them.
 */
export const titleSchema = z.string({ message: 'expected a string' }).check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(TITLE_MAX, `must be at most ${TITLE_MAX} characters`),
  z.refine(
    (t: string) => t.length === 0 || hasVisibleCharacter(t),
    'must not be empty (it has no visible character)',
  ),
  z.refine((t: string) => !CONTROL.test(t), 'must not contain control characters'),
  z.refine(
    (t: string) => !hasBidiControls(t),
    'must not contain bidirectional embedding, override or isolate characters (U+202A to U+202E, U+2066 to U+2069)',
  ),
);

/**
 * The text of a search or a filter (`q`): trimmed, 1 to 200 characters, no control characters
 * (NUL, line breaks and tabs included: none belongs in a search box). Search and the list's title
 * filter share it, so both refuse the same text.
 */
export const queryTextSchema = z.string({ message: 'is required' }).check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(200, 'must be at most 200 characters'),
  // eslint-disable-next-line no-control-regex
  z.refine((q: string) => !/[\u0000-\u001f\u007f]/.test(q), 'must not contain control characters'),
);

export const conversationIdParams = z.strictObject({
  id: z.uuid({ message: 'expected a conversation id (UUID)' }),
});

export const conversationSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  messageCount: z.int(),
});

/** One reply of a conversation. */
export const replyParams = z.strictObject({
  id: z.uuid({ message: 'expected a conversation id (UUID)' }),
  messageId: z.uuid({ message: 'expected a message id (UUID)' }),
});
