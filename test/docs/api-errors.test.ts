import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messagePattern, quotedMessages, sourceLines, unprinted } from './quoted-messages';

/** docs/api.md's error reference quotes the `detail` texts the API really sends. */
const ROOT = join(import.meta.dirname, '../..');
const page = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
const errors = page.slice(
  page.indexOf('\n## Errors'),
  page.indexOf('\n## ', page.indexOf('\n## Errors') + 1),
);

/**
 * The details of every 429 `rate-limited` the code defines: the message of each subclass of
 * RateLimitedError (the functions' own limits) and the detail of each API Gateway answer built on
 * one (lib/constructs/problem-responses.ts). Template placeholders are left as written: a quoted
 * message's `N` or `…` matches them.
 */
function rateLimitedDetails(): string[] {
  const files = new Map<string, string[]>();
  for (const { file, line } of sourceLines(ROOT, ['functions', 'lib']))
    files.set(file, [...(files.get(file) ?? []), line]);
  return [...files.values()].flatMap((lines) => {
    const text = lines.join('\n');
    const literal = String.raw`(?:\`([^\`]*)\`|'([^']*)')`;
    const ofSubclasses = [
      ...text.matchAll(new RegExp(String.raw`extends RateLimitedError \{[\s\S]*?super\(\s*${literal}`, 'g')),
    ];
    const ofGateway = [
      ...text.matchAll(/error: new RateLimitedError\([^)]*\),\s*detail: (?:`([^`]*)`|'([^']*)')/g),
    ];
    return [...ofSubclasses, ...ofGateway].map((m) => m[1] ?? m[2] ?? '');
  });
}

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
    expect(unprinted(messages, sourceLines(ROOT, ['functions', 'bin', 'lib']))).toEqual([]);
  });

  it('quotes, in the rate-limited row, every refusal answered with it', () => {
    const row = errors.split('\n').find((line) => line.includes('`rate-limited`')) ?? '';
    const quoted = quotedMessages(row);
    const details = rateLimitedDetails();
    // The chat's rate and replies at once, the exports' downloads at once, API Gateway's two.
    expect(details.length).toBeGreaterThanOrEqual(5);
    const unquoted = details.filter((detail) => !quoted.some((m) => messagePattern(m).test(detail)));
    expect(unquoted, 'quote these details in the rate-limited row of docs/api.md').toEqual([]);
  });
});
