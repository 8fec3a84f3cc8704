import { describe, expect, it } from 'vitest';

import { csvField, csvText } from './csv';

describe('csvField', () => {
  it('leaves plain text alone and writes null as an empty field', () => {
    expect(csvField('user.disable')).toBe('user.disable');
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
  });

  it('quotes commas, quotes and line breaks, doubling the quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('one\ntwo')).toBe('"one\ntwo"');
    expect(csvField('one\r\ntwo')).toBe('"one\r\ntwo"');
  });

  it.each([
    ['=HYPERLINK("https://evil.example","click")', `"'=HYPERLINK(""https://evil.example"",""click"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
  ])('keeps %j from running as a formula', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('keeps NUL, right-to-left marks and emoji as they are', () => {
    expect(csvField('a\u0000b\u202Ec😀')).toBe('a\u0000b\u202Ec😀');
  });
});

describe('csvField with numbers', () => {
  it('writes numbers as numbers, negative ones without an apostrophe, and nothing for NaN', () => {
    expect(csvField(12)).toBe('12');
    expect(csvField(-3.5)).toBe('-3.5');
    expect(csvField(0.0001)).toBe('0.0001');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(Number.POSITIVE_INFINITY)).toBe('');
  });
});

describe('csvText', () => {
  it('writes a byte-order mark, the header and the rows with CRLF line ends', () => {
    expect(
      csvText(
        ['a', 'b'],
        [
          ['x', 1],
          [null, '=2'],
        ],
      ),
    ).toBe("\uFEFFa,b\r\nx,1\r\n,'=2\r\n");
  });
});
