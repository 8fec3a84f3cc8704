import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What an erasure removes and what it keeps is told in two places, the API reference and the
 * runbook's procedure, to an operator answering an erasure request: both say what the code does
 * (usage kept without the person, migration 0020; the audit trail kept, append-only).
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The runbook's "Erase a person who left" item, up to the next item. */
function eraseProcedure(): string {
  const runbook = read('docs/runbook.md');
  const start = runbook.indexOf('- **Erase a person who left**');
  expect(start).toBeGreaterThan(-1);
  const end = runbook.indexOf('\n- **', start + 1);
  return runbook.slice(start, end === -1 ? undefined : end).replace(/\s+/g, ' ');
}

describe('the erasure procedure in the runbook', () => {
  it('says the usage stays, without the person, as the API reference does', () => {
    // Prepare
    const procedure = eraseProcedure();
    const api = read('docs/api.md').replace(/\s+/g, ' ');

    // Assess
    expect(api).toMatch(/their usage stays, with no user/);
    expect(procedure).toMatch(/their usage stays without them/);
    expect(procedure).not.toMatch(/usage go(es)? for good/);
    expect(procedure).toMatch(/audit trail keeps its events/);
  });
});
