import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageConfig } from '../../lib/config/stages';
import { addParleyStage, cdkJsonContext } from '../../lib/parley-app';

/**
 * docs/runbook.md says at what line each alarm fires, as the alarm compares: every threshold alarm
 * fires at its threshold or over it (GreaterThanOrEqualToThreshold), so "over 5%" would be wrong
 * by the one case an operator checks first.
 */
const runbook = readFileSync(join(import.meta.dirname, '../../docs/runbook.md'), 'utf8');
const config = stageConfig('prod');

interface AlarmProperties {
  readonly AlarmName: string;
  readonly AlarmDescription?: string;
  readonly Threshold?: number;
  readonly ComparisonOperator?: string;
  readonly Metrics?: readonly {
    readonly Expression?: string;
    readonly MetricStat?: { Metric: { Dimensions?: { Name: string; Value: unknown }[] } };
  }[];
}

let alarms: Map<string, AlarmProperties>;

beforeAll(() => {
  // The stage's alarms as CloudFormation creates them (cdk-nag and bundling are not needed here).
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  addParleyStage(app, config);
  alarms = new Map(
    app
      .synth()
      .stacks.flatMap((stack) =>
        Object.values(
          (stack.template as { Resources?: Record<string, { Type: string; Properties?: AlarmProperties }> })
            .Resources ?? {},
        ),
      )
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties)
      .map((r) => {
        const p = r.Properties as AlarmProperties;
        return [p.AlarmName.replace(`parley-${config.stage}-`, 'parley-<stage>-'), p] as const;
      }),
  );
});

/** The runbook's alarm rows: the one alarm each names, and its "means" cell. */
function alarmRows(): { name: string; means: string }[] {
  return runbook
    .split('\n')
    .filter((line) => /^\| `parley-<stage>-[A-Za-z0-9-]+` +\|/.test(line))
    .map((line) => {
      const [name = '', means = ''] = line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim());
      return { name: name.replaceAll('`', ''), means };
    });
}

/**
 * The alarms whose threshold is a share of a configured limit, as the runbook gives it (a
 * percentage): the threshold divided by the limit.
 */
const PERCENT_OF_LIMIT: Record<string, number> = {
  'parley-<stage>-CacheEcpuHigh': 100 / (config.cache.maxEcpuPerSecond * 300),
  'parley-<stage>-CacheStorageHigh': 100 / (config.cache.maxDataStorageGb * 1024 ** 3),
};

describe("docs/runbook.md's alarm thresholds", () => {
  it('says "N or more" for an alarm that fires at its threshold, never "over" or "above" it', () => {
    const rows = alarmRows().filter((row) => alarms.has(row.name));
    expect(rows.length).toBeGreaterThan(15);
    const wrong = rows.filter(
      (row) =>
        alarms.get(row.name)?.ComparisonOperator === 'GreaterThanOrEqualToThreshold' &&
        /\b(over|above|more than) (\d|the |its )/.test(row.means),
    );
    expect(wrong.map((row) => `${row.name}: ${row.means.slice(0, 80)}`)).toEqual([]);
  });

  it("gives each threshold alarm's line as its threshold, and fires at it or over it", () => {
    const checked = alarmRows().flatMap((row) => {
      const alarm = alarms.get(row.name);
      // The first "N or more" (N%, N s) the cell says is the alarm's line.
      const said = /(\d[\d,]*)(%| s)? or more/.exec(row.means);
      if (!alarm || alarm.Threshold === undefined || !said) return [];
      const n = Number((said[1] ?? '').replaceAll(',', ''));
      const threshold = (alarm.Threshold * (PERCENT_OF_LIMIT[row.name] ?? 1)) / (said[2] === ' s' ? 1000 : 1);
      return [{ name: row.name, said: n, threshold, operator: alarm.ComparisonOperator }];
    });
    for (const name of [
      'parley-<stage>-Api5xxRate',
      'parley-<stage>-Api4xxSpike',
      'parley-<stage>-ApiWafBlockedSpike',
      'parley-<stage>-DatabaseCapacityHigh',
      'parley-<stage>-DatabaseConnectionsHigh',
      'parley-<stage>-DatabaseCpuHigh',
      'parley-<stage>-CacheEcpuHigh',
      'parley-<stage>-CacheStorageHigh',
      'parley-<stage>-ModelErrors',
      'parley-<stage>-ModelSlowToStart',
    ])
      expect(checked.map((c) => c.name)).toContain(name);
    for (const c of checked) {
      expect(c.operator, c.name).toBe('GreaterThanOrEqualToThreshold');
      expect(c.said, c.name).toBeCloseTo(c.threshold, 6);
    }
  });

  it('words the e-mail of an alarm that fires at its threshold the same way: never "over" or "above" it', () => {
    const wrong = [...alarms.values()].filter(
      (a) =>
        a.ComparisonOperator === 'GreaterThanOrEqualToThreshold' &&
        /\b(over|above|more than) (\d|the |its )/i.test(a.AlarmDescription ?? ''),
    );
    expect(wrong.map((a) => `${a.AlarmName}: ${a.AlarmDescription}`)).toEqual([]);
  });

  it("says that the WAF alarm leaves out the RequireOriginHeader rule's blocks, as its expression does", () => {
    const waf = alarms.get('parley-<stage>-ApiWafBlockedSpike');
    const ruleOf = (m: NonNullable<AlarmProperties['Metrics']>[number]) =>
      m.MetricStat?.Metric.Dimensions?.find((d) => d.Name === 'Rule')?.Value;
    const direct = waf?.Metrics?.find((m) => String(ruleOf(m)).endsWith('-RequireOriginHeader'));
    expect(direct, 'a RequireOriginHeader series in the alarm').toBeDefined();
    expect(waf?.Metrics?.find((m) => m.Expression)?.Expression).toMatch(/- FILL\(\w+, 0\)$/);
    const row = alarmRows().find((r) => r.name === 'parley-<stage>-ApiWafBlockedSpike');
    expect(row?.means).toContain('`RequireOriginHeader`');
  });
});
