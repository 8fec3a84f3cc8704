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
});
