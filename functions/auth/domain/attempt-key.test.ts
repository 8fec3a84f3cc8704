import { describe, expect, it } from 'vitest';

import { attemptKey, MAX_ATTEMPT_KEY_LENGTH } from './attempt-key';

describe('attemptKey', () => {
  it('lower-cases and trims the e-mail', () => {
    expect(attemptKey('  Alice@Example.COM ')).toBe('alice@example.com');
  });

  it('gives a name holding NUL or a lone surrogate a key PostgreSQL can store, of its own', () => {
    expect(attemptKey('A\u0000b@example.test')).toBe('a\ufffdb@example.test');
    expect(attemptKey('a\u0000b@example.test')).not.toBe(attemptKey('ab@example.test'));
    expect(attemptKey('\ud800a\udfff@example.test')).toBe('\ufffda\ufffd@example.test');
    // A surrogate pair is one character, kept.
    expect(attemptKey('\u{1F600}@example.test')).toBe('\u{1F600}@example.test');
  });

  it('keeps the longest e-mail address as it is, and turns a longer name into its digest', () => {
    const longest = `${'l'.repeat(64)}@${'d'.repeat(255)}`;
    expect(longest).toHaveLength(MAX_ATTEMPT_KEY_LENGTH);
    expect(attemptKey(longest)).toBe(longest);
    const longer = attemptKey(`${longest}x`);
    expect(longer).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Case-insensitive like any name, and one counter per name.
    expect(attemptKey(`${longest.toUpperCase()}X`)).toBe(longer);
    expect(attemptKey(`${longest}y`)).not.toBe(longer);
    expect(attemptKey('\u0000'.repeat(100_000))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
