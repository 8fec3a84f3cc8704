import { describe, expect, it } from 'vitest';
import * as z from '#shared/zod';
import { CONTENT_MAX, CONTENT_MAX_BYTES } from '../domain/message';
import { messageContent } from './schemas';

const issues = (text: string) => {
  const result = z.safeParse(messageContent, text);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

describe('the content of a message', () => {
  it('takes 32,000 characters of Latin text, and 20,000 of three-byte CJK (60,000 bytes)', () => {
    expect(issues('a'.repeat(CONTENT_MAX))).toEqual([]);
    expect(issues('語'.repeat(CONTENT_MAX_BYTES / 3))).toEqual([]);
  });

  it('refuses text over 60,000 bytes as JSON even under 32,000 characters, so the request passes the WAF', () => {
    expect(issues(`${'語'.repeat(CONTENT_MAX_BYTES / 3)}x`)).toEqual([
      'must be at most 60000 bytes as JSON text (about 20,000 characters of Chinese, Japanese or Korean)',
    ]);
    // Escapes count: a tab or a quote takes two bytes, as the request carries it.
    expect(issues('"'.repeat(30_001))).toHaveLength(1);
    expect(issues('🙂'.repeat(15_001))).toHaveLength(1);
  });

  it('refuses over 32,000 characters, NUL and other control characters, and blank text', () => {
    expect(issues('a'.repeat(CONTENT_MAX + 1))).toEqual(['must be at most 32000 characters']);
    expect(issues('a\u0000b')).toEqual(['must not contain control characters (NUL included)']);
    expect(issues(' \n\t ')).toEqual(['must not be empty']);
  });
});
