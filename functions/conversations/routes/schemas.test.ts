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

  it.each([
    ['a zero-width space', '\u200b'],
    ['a Hangul filler', '\u3164'],
    ['a combining mark alone', '\u0301'],
    ['a byte order mark and a word joiner', '\ufeff\u2060'],
  ])('refuses a title of %s only as empty', (_case, title) => {
    const result = z.safeParse(titleSchema, title);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^must not be empty/);
  });

  it.each(['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'])(
    'refuses a bidirectional control (%j) in a title that shows',
    (control) => {
      const result = z.safeParse(titleSchema, `invoice${control}fdp.exe`);

      expect(result.error?.issues.map((issue) => issue.message)).toEqual([
        'must not contain bidirectional embedding, override or isolate characters (U+202A to U+202E, U+2066 to U+2069)',
      ]);
    },
  );

  it('keeps direction marks, joiners and combining marks beside visible text', () => {
    for (const title of ['مرحبا\u200f 2026', 'Family 👨\u200d👩\u200d👧', 'Cafe\u0301', '\u200bx'])
      expect(z.safeParse(titleSchema, title).data, JSON.stringify(title)).toBe(title);
  });
});
