import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messagePattern, quotedMessages, sourceLines, unprinted } from './quoted-messages';

/**
 * docs/troubleshooting.md quotes the messages people see; each must be one the code prints
 * (functions/, bin/, lib/, web/ with its build config, the CI scripts), so a reworded message
 * fails here until the page follows.
 */
const ROOT = join(import.meta.dirname, '../..');
const page = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');
const lines = sourceLines(ROOT, ['functions', 'bin', 'lib', 'web', '.ci', 'test/support']);

describe('docs/troubleshooting.md', () => {
  const messages = quotedMessages(page);

  it('quotes the messages it explains', () => {
    expect(messages.length).toBeGreaterThanOrEqual(20);
    // Placeholders alone would match anything: each message says something of its own.
    for (const m of messages) expect(m.replace(/…|\bN\b/g, '').trim().length, m).toBeGreaterThanOrEqual(8);
  });

  it('quotes only messages the code prints', () => {
    expect(unprinted(messages, lines)).toEqual([]);
  });
});

describe('finding quoted messages', () => {
  it('takes double quotes and sentence-like code spans, not commands, paths or variables', () => {
    const markdown = [
      '| `Stopped cleanly.` after Ctrl-C | run `npm start` or `PORT=3100 npm start`; `EADDRINUSE` |',
      'a send answers 429 "You can send at most N messages a minute"; see `/api/health/ready`',
      '"Start it with `npm start` first."',
      '```sh',
      'echo "not a message"',
      '```',
    ].join('\n');
    expect(quotedMessages(markdown)).toEqual([
      'Stopped cleanly.',
      'You can send at most N messages a minute',
      'Start it with `npm start` first.',
    ]);
  });

  it('lets … and N stand for what the code fills in, and nothing else', () => {
    const template = 'super(`You can send at most ${limitPerMinute} messages a minute.`, retryAfter);';
    expect(messagePattern('You can send at most N messages a minute').test(template)).toBe(true);
    expect(messagePattern('You can send at most N messages an hour').test(template)).toBe(false);
    expect(
      messagePattern('Parley is already running from … (pid N)').test('running from ${dir} (pid ${pid})'),
    ).toBe(false);
  });

  it('reports a message no source prints, and reads escaped quotes as the user sees them', () => {
    const source = [{ line: "throw new ForbiddenError('Your role doesn't allow this.');" }];
    expect(unprinted(["Your role doesn't allow this.", 'Your role is wrong.'], source)).toEqual([
      'Your role is wrong.',
    ]);
  });
});
