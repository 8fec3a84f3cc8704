import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHED_USAGE_TTL_SECONDS } from '../../functions/chat/adapters/cached-monthly-usage';
import { stageConfig } from '../../lib/config/stages';
import { addParleyStage, cdkJsonContext } from '../../lib/parley-app';

/**
 * docs/runbook.md explains every alarm the app creates, under the name CloudWatch shows, and
 * holds the routine procedures with their commands.
 */
const ROOT = join(import.meta.dirname, '../..');
const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');

/** Shell-style braces in a code span: `a-{b,c}-d` names `a-b-d` and `a-c-d`. */
function expandBraces(text: string): string[] {
  const match = /\{([^{}]*)\}/.exec(text);
  if (!match) return [text];
  const [whole, inner = ''] = match;
  return inner.split(',').flatMap((option) => expandBraces(text.replace(whole, option)));
}

/** Names the page gives in code spans, braces expanded. */
function namesOnPage(markdown: string): Set<string> {
  const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  return new Set(spans.flatMap(expandBraces));
}

let alarms: string[];
let descriptions: string[];
/** The retention function's environment variables, as deployed. */
let retentionEnvironment: Record<string, unknown> | undefined;

beforeAll(() => {
  // The stage's alarms as CloudFormation creates them (cdk-nag and bundling are not needed here).
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  addParleyStage(app, stageConfig('prod'));
  const assembly = app.synth();
  alarms = assembly.stacks.flatMap((stack) =>
    Object.values(
      (
        stack.template as {
          Resources?: Record<string, { Type: string; Properties?: { AlarmName?: unknown } }>;
        }
      ).Resources ?? {},
    )
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
      .map((r) => String(r.Properties?.AlarmName)),
  );
  descriptions = assembly.stacks.flatMap((stack) =>
    Object.values(
      (
        stack.template as {
          Resources?: Record<string, { Type: string; Properties?: { AlarmDescription?: unknown } }>;
        }
      ).Resources ?? {},
    )
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
      .map((r) => JSON.stringify(r.Properties?.AlarmDescription ?? '')),
  );
  retentionEnvironment = assembly.stacks
    .flatMap((stack) =>
      Object.values(
        (
          stack.template as {
            Resources?: Record<
              string,
              {
                Type: string;
                Properties?: {
                  FunctionName?: unknown;
                  Environment?: { Variables?: Record<string, unknown> };
                };
              }
            >;
          }
        ).Resources ?? {},
      ),
    )
    .find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === 'parley-prod-retention')
    ?.Properties?.Environment?.Variables;
}, 120_000);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

describe('docs/runbook.md', () => {
  it('names every alarm of a stage, with its meaning and action', () => {
    expect(alarms.length).toBeGreaterThan(30);
    const names = namesOnPage(runbook);
    const missing = alarms
      .map((name) => name.replace(/^parley-prod-/, 'parley-<stage>-'))
      .filter((name) => !names.has(name));
    expect(missing, 'add these alarms to docs/runbook.md').toEqual([]);
  });

  it('names no alarm that does not exist', () => {
    const real = new Set(alarms.map((name) => name.replace(/^parley-prod-/, 'parley-<stage>-')));
    const stale = [...namesOnPage(runbook)].filter((n) => n.startsWith('parley-<stage>-') && !real.has(n));
    // Log groups, dashboards and roles share the prefix; alarm-like names must be real ones.
    const alarmLike = stale.filter(
      (n) => !/waf-logs|github-deploy|^parley-<stage>$/.test(n) && !n.includes('/'),
    );
    expect(alarmLike).toEqual([]);
  });

  it('is where alarm descriptions send the reader, at a heading that exists', () => {
    const links = descriptions.flatMap((d) => [...d.matchAll(/Runbook: ([\w./-]+)#([\w-]+)/g)]);
    expect(links.length).toBeGreaterThan(0);
    const headings = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? '')));
    for (const [, file, anchor] of links) {
      expect(file).toBe('docs/runbook.md');
      expect(headings.has(anchor ?? ''), `#${anchor} in docs/runbook.md`).toBe(true);
    }
  });

  it("bounds how long the chat's cached usage misses the retention run's charges", () => {
    // The run charges abandoned replies but cannot reach Valkey to mark the cached usage out of
    // date (the chat's charges bump its version): until the entry expires, a person may be let
    // through as if uncharged. Given a cache, the run should bump the version instead.
    expect(retentionEnvironment, 'the retention function').toBeDefined();
    expect(retentionEnvironment).not.toHaveProperty('CACHE_ENDPOINT');
    expect(runbook.replace(/\s+/g, ' ')).toMatch(
      new RegExp(`retention run's charges of abandoned replies [^.]*within ${CACHED_USAGE_TTL_SECONDS} s`),
    );
  });

  it('gives the commands for restore, key and credential rotation and rollback', () => {
    for (const command of [
      'aws rds restore-db-cluster-to-point-in-time',
      'aws rds create-db-instance',
      'aws secretsmanager put-secret-value',
      'aws secretsmanager rotate-secret',
      'aws deploy stop-deployment',
      'aws lambda update-alias',
    ])
      expect(runbook).toContain(command);
  });
});

describe('brace expansion', () => {
  it('expands each group, nested in order', () => {
    expect(expandBraces('parley-<stage>-api-{health,chat}-{errors,duration}')).toEqual([
      'parley-<stage>-api-health-errors',
      'parley-<stage>-api-health-duration',
      'parley-<stage>-api-chat-errors',
      'parley-<stage>-api-chat-duration',
    ]);
    expect(expandBraces('parley-<stage>-Lockouts')).toEqual(['parley-<stage>-Lockouts']);
  });
});
