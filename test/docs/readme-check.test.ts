import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's `npm run check` row says what the script runs before a push: each step of
 * .ci/check, and which stages it synthesizes. A step left out (the long resilience run, the
 * dependency audit) surprises whoever runs it.
 */
const ROOT = join(import.meta.dirname, '../..');
const check = readFileSync(join(ROOT, '.ci/check'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const row = readme.split('\n').find((line) => line.startsWith('| `npm run check`')) ?? '';

describe("README's npm run check row", () => {
  it('names every step of .ci/check', () => {
    const steps = [...check.matchAll(/^\s*step "([^"(]+?)\s*(?:\([^"]*\))?"/gm)]
      .map((m) => m[1] ?? '')
      .filter((name) => name !== 'check passed');
    expect(steps).toEqual(expect.arrayContaining(['secret scan', 'resilience', 'dependency audit']));
    expect(row).not.toBe('');
    for (const step of steps) expect(row, step).toContain(step);
  });

  it('names the stages it synthesizes', () => {
    const stages = /for stage in ([\w ]+); do/.exec(check)?.[1]?.trim().split(/\s+/) ?? [];
    expect(stages.length).toBeGreaterThan(0);
    expect(row).toContain(`synth of ${stages.join(' and ')}`);
  });
});
