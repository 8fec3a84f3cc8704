import { describe, expect, it } from 'vitest';

import {
  CONTENT_MAX,
  CONTENT_MAX_BYTES,
  contentBytes,
  contentCharacters,
  contentProblem,
  contentTooLong,
  hasVisibleCharacter,
  withoutControlCharacters,
} from '@/features/chat/utils/content-size';

describe('the size of a message', () => {
  it('counts UTF-8 bytes and JSON escapes as the API does', () => {
    expect(contentBytes('abc')).toBe(3);
    expect(contentBytes('語')).toBe(3);
    expect(contentBytes('🙂')).toBe(4);
    expect(contentBytes('a"b\\c\n\t')).toBe(11);
  });

  it('lets through 32,000 Latin characters and 20,000 CJK ones, and says why one more is refused', () => {
    expect(contentTooLong('a'.repeat(CONTENT_MAX))).toBeNull();
    expect(contentTooLong('語'.repeat(CONTENT_MAX_BYTES / 3))).toBeNull();
    expect(contentTooLong(`${'語'.repeat(CONTENT_MAX_BYTES / 3)}x`)).toBe(
      'Too long to send: 60,001 of 60,000 bytes (some scripts take three bytes a character). Shorten it or send it in parts.',
    );
  });

  it('refuses one character over 32,000, counted as the API counts them (an emoji is one)', () => {
    expect(contentTooLong(`${'a'.repeat(CONTENT_MAX)}x`)).toBe(
      'Too long to send: 32,001 of 32,000 characters. Shorten it or send it in parts.',
    );
    expect(contentTooLong(`${'a'.repeat(CONTENT_MAX - 1)}🙂`)).toBeNull();
    expect(contentTooLong(`${'a'.repeat(CONTENT_MAX)}🙂`)).toMatch(
      /^Too long to send: 32,001 of 32,000 characters/,
    );
    expect(contentCharacters('a🙂\ud800b')).toBe(4);
    expect(contentProblem(`${'a'.repeat(CONTENT_MAX)}x`)).toMatch(
      /^Too long to send: 32,001 of 32,000 characters/,
    );
  });

  it('says the limit passed by more when both are passed', () => {
    // 70,000 bytes is 17% over its limit, 70,000 characters more than twice theirs
    expect(contentTooLong('a'.repeat(70_000))).toMatch(/^Too long to send: 70,000 of 32,000 characters/);
    // 30,000 characters of CJK: under their limit, 90,000 bytes over theirs
    expect(contentTooLong('語'.repeat(30_000))).toMatch(/^Too long to send: 90,000 of 60,000 bytes/);
    expect(contentTooLong('語'.repeat(40_000))).toMatch(/^Too long to send: 120,000 of 60,000 bytes/);
  });
});

describe('the limits the API applies', () => {
  it('are the ones the app checks before sending', async () => {
    const api = await import('../../../../../functions/chat/domain/message');
    expect([CONTENT_MAX, CONTENT_MAX_BYTES]).toEqual([api.CONTENT_MAX, api.CONTENT_MAX_BYTES]);
    for (const text of ['語'.repeat(100), '"\\\n\t🙂', 'plain'])
      expect(contentBytes(text)).toBe(api.jsonBytes(text));
  });

  it('refuse what the app refuses, and take what it lets through', async () => {
    const { messageContent } = await import('../../../../../functions/chat/routes/schemas');
    for (const text of [
      'a'.repeat(CONTENT_MAX),
      `${'a'.repeat(CONTENT_MAX)}x`,
      `${'a'.repeat(CONTENT_MAX - 1)}🙂`,
      `${'a'.repeat(CONTENT_MAX)}🙂`,
      '語'.repeat(CONTENT_MAX_BYTES / 3),
      `${'語'.repeat(CONTENT_MAX_BYTES / 3)}x`,
    ])
      expect(messageContent.safeParse(text).success).toBe(contentProblem(text) === null);
  });
});

describe('what is empty', () => {
  it('is what the API refuses as empty: nothing that shows', async () => {
    const { messageContent } = await import('../../../../../functions/chat/routes/schemas');
    for (const text of [
      '',
      ' \n',
      '\u200b',
      '\u3164',
      '\u0301',
      '\ufeff\u2060',
      '\u2800',
      'x',
      '\u200bx',
      'e\u0301',
    ]) {
      const refusedAsEmpty = messageContent
        .safeParse(text)
        .error?.issues.some((issue) => issue.message === 'must not be empty');
      expect(hasVisibleCharacter(text), JSON.stringify(text)).toBe(!refusedAsEmpty);
    }
  });
});

describe('contentProblem', () => {
  it('refuses the control characters the API refuses, and nothing else of them', () => {
    expect(contentProblem('a \u001b[31mred\u001b[0m log')).toMatch(/^Holds invisible control characters/);
    expect(contentProblem('page one\fpage two')).toMatch(/^Holds invisible control characters/);
    expect(contentProblem('nul \u0000 and del \u007f')).toMatch(/control characters/);
    expect(contentProblem('tabs\tand\nlines\r\n are fine')).toBeNull();
  });

  it('says the size first when both apply', () => {
    expect(contentProblem(`\u001b${'語'.repeat(CONTENT_MAX_BYTES / 3)}`)).toMatch(/^Too long to send/);
  });

  it('removes only those characters', () => {
    expect(withoutControlCharacters('a\u001b[31mb\fc\td\ne\u007f')).toBe('a[31mbc\td\ne');
  });
});
