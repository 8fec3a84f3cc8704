import { describe, expect, it } from 'vitest';

import { markdownToPlainText } from '@/features/chat/utils/plain-text';

describe('markdownToPlainText', () => {
  it('keeps the words of emphasis, headings, links and inline code, without their marks', () => {
    expect(markdownToPlainText('**Note**: read *this* and __that__, not ~~those~~.')).toBe(
      'Note: read this and that, not those.',
    );
    expect(markdownToPlainText('## Plan\n\nSee [the docs](https://example.com/a_b) and `npm start`.')).toBe(
      'Plan\n\nSee the docs and npm start.',
    );
    expect(markdownToPlainText('![a chart](https://example.com/c.png)')).toBe('a chart');
  });

  it('reads lists, quotes and code blocks as their text', () => {
    expect(markdownToPlainText('- one\n* two\n1. three\n- [x] done\n> quoted')).toBe(
      'one\ntwo\nthree\ndone\nquoted',
    );
    expect(markdownToPlainText('Run:\n\n```ts\nconst a = 1;\n```\n\n---\n\nDone')).toBe(
      'Run:\n\nconst a = 1;\n\nDone',
    );
  });

  it('reads a table row by row, its cells apart', () => {
    expect(markdownToPlainText('| City | Days |\n| --- | :-: |\n| Porto | 2 |')).toBe(
      'City, Days\n\nPorto, 2',
    );
  });

  it('leaves plain text, snake_case and arithmetic as they are', () => {
    expect(markdownToPlainText('Plain text.')).toBe('Plain text.');
    expect(markdownToPlainText('use my_var_name and 2 * 3 * 4')).toBe('use my_var_name and 2 * 3 * 4');
  });
});
