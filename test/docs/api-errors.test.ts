import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quotedMessages, sourceLines, unprinted } from './quoted-messages';

/** docs/api.md's error reference quotes the `detail` texts the API really sends. */
const ROOT = join(import.meta.dirname, '../..');
const page = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
const errors = page.slice(
  page.indexOf('\n## Errors'),
  page.indexOf('\n## ', page.indexOf('\n## Errors') + 1),
);

describe('the errors of docs/api.md', () => {
  it('names every problem type the code defines', () => {
    const slugs = sourceLines(ROOT, ['functions'])
      .map(({ line }) => /readonly slug = '([a-z-]+)'|TYPE_BASE \+ '([a-z-]+)'/.exec(line))
      .flatMap((m) => (m ? [m[1] ?? m[2] ?? ''] : []));
    expect(slugs.length).toBeGreaterThanOrEqual(10);
    for (const slug of new Set(slugs)) expect(errors, slug).toContain(`\`${slug}\``);
  });

  it('quotes only details the code sends', () => {
    const messages = quotedMessages(errors);
    expect(messages.length).toBeGreaterThanOrEqual(10);
    expect(unprinted(messages, sourceLines(ROOT, ['functions', 'bin']))).toEqual([]);
  });
});
