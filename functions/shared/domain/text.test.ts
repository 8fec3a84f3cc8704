import { describe, expect, it } from 'vitest';
import { cutText, hasControlCharacters, wellFormed } from './text';

describe('cutText', () => {
  it('keeps text within the limit as it is', () => {
    expect(cutText('hello', 5)).toBe('hello');
    expect(cutText('', 3)).toBe('');
    expect(cutText('a\u{1F600}', 3)).toBe('a\u{1F600}');
  });

  it('cuts at the limit between whole characters', () => {
    expect(cutText('hello world', 5)).toBe('hello');
    expect(cutText('\u{1F600}\u{1F600}', 2)).toBe('\u{1F600}');
  });

  it('never keeps half of a surrogate pair', () => {
    expect(cutText('a\u{1F600}b', 2)).toBe('a');
    expect(cutText(`${'x'.repeat(79)}\u{1F600}`, 80)).toBe('x'.repeat(79));
    expect(cutText('\u{1F600}', 1)).toBe('');
  });
});

describe('wellFormed', () => {
  it('turns each lone surrogate into U+FFFD and keeps pairs', () => {
    expect(wellFormed('a\ud800b\udfffc')).toBe('a\ufffdb\ufffdc');
    expect(wellFormed('\u{1F600} ok')).toBe('\u{1F600} ok');
    expect(wellFormed('\udfff\ud800')).toBe('\ufffd\ufffd');
  });
});

describe('hasControlCharacters', () => {
  it('finds NUL, escape and DEL, and lets tabs, line breaks and other text through', () => {
    for (const text of ['a\u0000b', '\u001b[31m', 'x\u007f', '\u000b', '\u000c'])
      expect(hasControlCharacters(text), JSON.stringify(text)).toBe(true);
    for (const text of ['plain', 'tab\there', 'line\nbreak', 'crlf\r\n', '‮ 日本語 😀', ''])
      expect(hasControlCharacters(text), JSON.stringify(text)).toBe(false);
  });
});
