import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What the audit trail keeps for good, and where the web app keeps its session, are told to the
 * people who answer for personal data: security.md's data-retention row and the configuration
 * reference in deployment.md must say it plainly, not "no content" alone.
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const flat = (text: string) => text.replace(/\s+/g, ' ');

/** A row of a markdown table, by its first cell. */
function row(markdown: string, first: string): string {
  const line = markdown.split('\n').find((l) => l.replace(/^\|\s*/, '').startsWith(first));
  expect(line, first).toBeDefined();
  return line ?? '';
}

describe('what the audit trail keeps', () => {
  it("is named in security.md's data-retention row: ids, source IP, user agent, sign-in places, typed names", () => {
    // Prepare
    const retention = row(read('docs/security.md'), 'data retention');

    // Assess
    for (const kept of ['source IP', 'user agent', 'city', 'country', 'name as typed', 'ids, not content']) {
      expect(retention).toContain(kept);
    }
    expect(retention).not.toMatch(/audit keeps counts|records stay \(no content\)/);
  });

  it('is named in the configuration reference, not "they hold no content"', () => {
    // Prepare
    const retention = row(read('docs/deployment.md'), '`retention`');

    // Assess
    expect(retention).not.toContain('they hold no content');
    expect(retention).toContain('source IP');
  });
});

describe('the web session', () => {
  it("is documented as kept in localStorage, Amplify's default, while the app sets no other storage", () => {
    // Prepare
    const security = flat(read('docs/security.md'));
    const amplify = read('web/src/lib/amplify.ts');

    // Assess
    expect(amplify).not.toContain('tokenStorage');
    expect(security).toMatch(/Cognito session \(ID, access and refresh tokens\) in `localStorage`/);
    expect(security).toMatch(/signing out .* clears it/);
  });
});
