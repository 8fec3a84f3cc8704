import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageConfig } from '../../lib/config/stages';
import { modelRouteThrottle } from '../../lib/stacks/api-stack';

/**
 * docs/capacity.md lists the limits a growing prod meets, with the value of each and the daily
 * users it is met at, from the traffic model at its top. The throttle of the two routes that call
 * the model is one of them: a quarter of the stage's, shared by every caller.
 */
const capacity = readFileSync(join(import.meta.dirname, '../../docs/capacity.md'), 'utf8');
const flat = capacity.replace(/\s+/g, ' ');

/** A table row of the limits, by the words its limit cell holds. */
const rowOf = (words: string) =>
  capacity.split('\n').find((line) => line.startsWith('|') && line.includes(words)) ?? '';

describe("docs/capacity.md's model routes' throttle", () => {
  const prod = stageConfig('prod').api;
  const { rateLimit, burstLimit } = modelRouteThrottle(prod);

  it('gives its value in prod, as a quarter of the stage throttle', () => {
    const row = rowOf("model routes' throttle");
    expect(row, "a row for the model routes' throttle").not.toBe('');
    expect(row).toContain(`${rateLimit} requests/s, burst ${burstLimit}`);
    expect(row).toContain('a quarter');
    expect(row).toContain('`api.throttleRateLimit`');
  });

  it('says at how many daily users the traffic model reaches it', () => {
    const perUserPerMinute = Number(/\| ([\d.]+) chat messages\/min/.exec(flat)?.[1]);
    expect(perUserPerMinute).toBeGreaterThan(0);
    const users = Math.round(rateLimit / (perUserPerMinute / 60) / 1000) * 1000;
    expect(rowOf("model routes' throttle")).toContain(`${users.toLocaleString('en-US')} users`);
  });
});

describe("docs/api.md's model routes' throttle", () => {
  const api = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8').replace(/\s+/g, ' ');
  const { rateLimit, burstLimit } = modelRouteThrottle(stageConfig('prod').api);

  it('gives its numbers where a regeneration counts against it, as the code sets them in prod', () => {
    const said = /counts as a message for the per-address WAF limit and [^.]*/.exec(api)?.[0] ?? '';
    expect(said).toContain("the model routes' throttle");
    expect(said).toContain('a quarter of the stage throttle');
    expect(said).toContain(`${rateLimit} requests/s, burst ${burstLimit} in prod`);
  });
});
