import { describe, expect, it } from 'vitest';
import {
  cutText,
  hasBidiControls,
  hasControlCharacters,
  hasVisibleCharacter,
  trimInvisible,
  wellFormed,
  withoutBidiControls,
} from './text';

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

describe('trimInvisible', () => {
  it('trims white space, zero-width spaces, fillers and blank patterns at both ends', () => {
    expect(trimInvisible(' \u200b\u3164\u115fTitle\u00a0\u2060\ufeff\u2800\u{1d159}\n')).toBe('Title');
    expect(trimInvisible('\u200b\u3164')).toBe('');
  });

  it('keeps what belongs to the text: marks, variation selectors, joiners and direction marks', () => {
    for (const text of ['\u200fשלום', 'Cafe\u0301', '\u2764\ufe0f', '👩\u200d💻', 'a \u200b b'])
      expect(trimInvisible(text), JSON.stringify(text)).toBe(text);
  });
});

describe('hasVisibleCharacter', () => {
  it('finds no visible character in white space, format characters, fillers or lone marks', () => {
    for (const text of [
      '',
      ' \t\n\u3000\u00a0',
      '\u200b\u200c\u200d\u2060',
      '\u200e\u200f\u061c',
      '\u202a\u202e\u2066\u2069',
      '\ufeff\u00ad',
      '\u3164\u115f\u1160\uffa0',
      '\u0301\u034f\ufe0f',
      '\u2800',
      '\u{e0041}',
      // The musical null notehead is a symbol drawn as nothing
      '\u{1d159}',
    ])
      expect(hasVisibleCharacter(text), JSON.stringify(text)).toBe(false);
  });

  it('finds letters, digits, punctuation, symbols and emoji in any script', () => {
    for (const text of [
      'a',
      '7',
      '.',
      '€',
      '😀',
      'مرحبا',
      'שלום',
      '한',
      '日本',
      '\u200bx',
      'e\u0301',
      '\ue000',
      // A spacing mark (Devanagari aa) and an enclosing circle are drawn even on their own
      '\u093e',
      '\u20dd',
    ])
      expect(hasVisibleCharacter(text), JSON.stringify(text)).toBe(true);
  });
});

describe('hasBidiControls and withoutBidiControls', () => {
  it('find and remove the embeddings, overrides and isolates, and leave the marks', () => {
    const controls = '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069';
    for (const control of controls)
      expect(hasBidiControls(`a${control}b`), JSON.stringify(control)).toBe(true);
    expect(hasBidiControls('\u200e\u200f\u061c plain')).toBe(false);
    expect(withoutBidiControls(`x${controls}\u200fy`)).toBe('x\u200fy');
  });
});
