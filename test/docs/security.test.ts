import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** docs/security.md names the tests that prove each readiness item: each must exist. */
const ROOT = join(import.meta.dirname, '../..');
const page = readFileSync(join(ROOT, 'docs/security.md'), 'utf8');
const section = page.slice(page.indexOf('## The readiness review, item by item'));

describe('the readiness review in docs/security.md', () => {
  const named = [...section.matchAll(/`((?:functions|test|bin|lib|web|\.ci)\/[^`]+)`/g)].map(
    (m) => m[1] ?? '',
  );

  it('names a proof for every item', () => {
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| item') && !l.startsWith('| ---'));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) expect(row.split('|')[3], row).toMatch(/`[^`]+`/);
  });

  it('names only files that exist', () => {
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('says how to report a vulnerability', () => {
    expect(page).toContain('## Reporting a vulnerability');
  });
});
