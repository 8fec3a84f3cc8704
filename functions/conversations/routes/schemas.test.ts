import { describe, expect, it } from 'vitest';
import * as z from '#shared/zod';
import { TITLE_MAX } from '../domain/conversation';
import { titleSchema } from './schemas';

// An emoji beyond the Basic Multilingual Plane: one character, two UTF-16 units.
const EMOJI = '😀';

describe('titleSchema', () => {
  it('counts characters as PostgreSQL char_length does, not UTF-16 units', () => {
    // Prepare
    const longest = EMOJI.repeat(TITLE_MAX);

    // Act
    const result = z.safeParse(titleSchema, longest);

    // Assess
    expect(longest).toHaveLength(2 * TITLE_MAX);
    expect(result).toEqual({ success: true, data: longest });
  });

  it.each([
    ['emoji', EMOJI.repeat(TITLE_MAX + 1)],
    ['letters', 'x'.repeat(TITLE_MAX + 1)],
    ['letters and an emoji', `${'x'.repeat(TITLE_MAX)}${EMOJI}`],
  ])('refuses %s one character past the limit, saying the limit in characters', (_case, title) => {
    // Act
    const result = z.safeParse(titleSchema, title);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      `must be at most ${TITLE_MAX} characters`,
    ]);
  });

  it('counts the title once trimmed', () => {
    expect(z.safeParse(titleSchema, `  ${EMOJI.repeat(TITLE_MAX)}  `).data).toBe(EMOJI.repeat(TITLE_MAX));
  });

  it('declares the limit as JSON Schema maxLength, which counts characters (code points) too', () => {
    // Act
    const schema = z.toJSONSchema(titleSchema, { io: 'input', target: 'draft-2020-12' });

    // Assess
    expect(schema).toMatchObject({ type: 'string', minLength: 1, maxLength: TITLE_MAX });
  });
});
