import { describe, expect, it } from 'vitest';
import { titleFromMessage } from './title';

describe('titleFromMessage', () => {
  it('takes the first printable line, whitespace collapsed', () => {
    expect(titleFromMessage('\n  \n  Plan   the\tQ3 offsite \nwith details')).toBe('Plan the Q3 offsite');
  });

  it('drops control characters and is empty when nothing printable is left', () => {
    expect(titleFromMessage('\u0007Hi\u0000 there')).toBe('Hi there');
    expect(titleFromMessage('\u0001\u0002\n \n')).toBe('');
  });

  it('cuts a long line at a word boundary near 80 characters, with an ellipsis', () => {
    const words =
      'Summarise the quarterly report for the board and list the three biggest risks we face next year';
    const title = titleFromMessage(words);
    expect(title).toBe('Summarise the quarterly report for the board and list the three biggest risks…');
    expect(title.length).toBeLessThanOrEqual(81);
  });

  it('cuts a long word-less line at 80 characters', () => {
    expect(titleFromMessage('x'.repeat(120))).toBe(`${'x'.repeat(80)}…`);
  });

  it('never cuts an emoji in half', () => {
    // 79 units, then an emoji whose second half would be the 81st: the cut drops it whole.
    expect(titleFromMessage(`${'x'.repeat(79)}\u{1F600}${'y'.repeat(10)}`)).toBe(`${'x'.repeat(79)}…`);
    expect(titleFromMessage('\u{1F600}'.repeat(50))).toBe(`${'\u{1F600}'.repeat(40)}…`);
  });

  it('skips lines with nothing visible on them', () => {
    expect(titleFromMessage('\u200b\u3164\n\u0301\ufeff\nWhat is a monad?')).toBe('What is a monad?');
    expect(titleFromMessage('\u200b\n\u2800')).toBe('');
  });

  it('trims the blanks that show nothing around the line, as it trims spaces', () => {
    expect(titleFromMessage('\u200b\u200b Plan the offsite \u3164\ufeff\u2800')).toBe('Plan the offsite');
    // An emoji's variation selector and an accent at the end belong to what they follow
    expect(titleFromMessage('Love it \u2764\ufe0f')).toBe('Love it \u2764\ufe0f');
    expect(titleFromMessage('Cafe\u0301')).toBe('Cafe\u0301');
  });

  it('drops bidirectional embeddings, overrides and isolates, and keeps direction marks', () => {
    expect(titleFromMessage('Rename \u202eexe.txt\u202c please')).toBe('Rename exe.txt please');
    expect(titleFromMessage('\u2067שלום\u2069 and \u200fhello\u202a')).toBe('שלום and \u200fhello');
    expect(titleFromMessage('\u202e\u2066\nSecond line')).toBe('Second line');
  });
});
