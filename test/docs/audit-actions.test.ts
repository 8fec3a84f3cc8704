import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGN_IN_ACTIVITY_ACTION } from '../../functions/auth/activity/sign-in-activity';

/**
 * `GET /api/admin/audit?action=` filters by an exact action name: docs/security.md, where an
 * auditor looks first, names every action the code records.
 */
const ROOT = join(import.meta.dirname, '../..');
const security = readFileSync(join(ROOT, 'docs/security.md'), 'utf8');

function recordedActions(): Set<string> {
  const dir = join(ROOT, 'functions');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
  );
  const actions = files.flatMap((file) =>
    [...readFileSync(join(dir, file), 'utf8').matchAll(/\baction: '([a-z-]+\.[a-z-]+)'/g)].map(
      (m) => m[1] ?? '',
    ),
  );
  return new Set([...actions, SIGN_IN_ACTIVITY_ACTION]);
}

describe('docs/security.md audit actions', () => {
  it('names every action the audit trail records', () => {
    const actions = recordedActions();
    expect(actions).toContain('auth.sign-out-everywhere');
    const named = new Set([...security.matchAll(/`([a-z-]+\.[a-z-]+)`/g)].map((m) => m[1]));
    expect([...actions].filter((a) => !named.has(a))).toEqual([]);
  });
});

describe('docs/api.md audit actions', () => {
  const api = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');

  it('names every action the audit trail records, as GET /api/admin/audit?action= filters on it', () => {
    const named = new Set([...api.matchAll(/`([a-z-]+\.[a-z-]+)`/g)].map((m) => m[1]));
    expect([...recordedActions()].filter((a) => !named.has(a))).toEqual([]);
  });

  it("names the sign-out-everywhere action in its route's row", () => {
    const row = api.split('\n').find((line) => line.startsWith('| `POST /api/me/sign-out`')) ?? '';
    expect(row).toContain('`auth.sign-out-everywhere`');
  });
});
