import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#api/index';
import { stageSumQuery } from '../../../lib/stacks/monitoring-stack';
import { ourFunctions, resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

const ROOT = join(import.meta.dirname, '../../..');

let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
});

describe('monitoring', () => {
  it('alarms on the custom metrics, API errors and latency, Aurora, Valkey and WAF blocks', () => {
    const names = resourcesOfType(dev, 'AWS::CloudWatch::Alarm').map((a) => a.props.AlarmName);
    for (const n of [
      'ModelErrors',
      'CircuitOpen',
      'QuotaRejections',
      'Lockouts',
      'IdentityDrift',
      'ModelSlowToStart',
      'Api5xxRate',
      'Api4xxSpike',
      'ApiLatencyP99',
      'ApiWafBlockedSpike',
      'DatabaseCapacityHigh',
      'DatabaseConnectionsHigh',
      'CacheThrottled',
    ]) {
      expect(names).toContain(`parley-dev-${n}`);
    }
  });

  it("alarms when people wait 10 s or more for the model's first word (p99), on the metric as published", () => {
    dev.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'parley-dev-ModelSlowToStart',
      Namespace: 'Parley',
      MetricName: 'TimeToFirstToken',
      // The set the chat function publishes (test/integration/chat-metrics.int.test.ts).
      Dimensions: Match.arrayEquals([
        { Name: 'Stage', Value: 'dev' },
        { Name: 'service', Value: 'chat' },
      ]),
      ExtendedStatistic: 'p99',
      Threshold: 10_000,
      AlarmActions: Match.anyValue(),
    });
  });

  it("reads its own stage's business metrics only: stages may share an account and region", () => {
    for (const [stage, synthesized] of [
      ['dev', dev],
      ['prod', prod],
    ] as const) {
      const alarms = Object.values(synthesized.templates.monitoring.findResources('AWS::CloudWatch::Alarm'));
      const queries = alarms.flatMap((a) =>
        ((a.Properties as { Metrics?: { Expression?: string }[] }).Metrics ?? []).flatMap((m) =>
          m.Expression ? [m.Expression] : [],
        ),
      );
      // One Metrics Insights query per business metric alarm, each limited to this stage.
      expect(queries).toHaveLength(5);
      for (const q of queries)
        expect(q).toMatch(new RegExp(`^SELECT SUM\\(\\w+\\) FROM "Parley" WHERE Stage = '${stage}'$`));
      const slow = alarms.find((a) => a.Properties.AlarmName === `parley-${stage}-ModelSlowToStart`);
      expect(slow?.Properties.Dimensions).toContainEqual({ Name: 'Stage', Value: stage });
      // The dashboard's business graph reads the same series.
      const dashboard = JSON.stringify(
        synthesized.templates.monitoring.findResources('AWS::CloudWatch::Dashboard'),
      );
      const graphed = dashboard.match(/SELECT SUM\(\w+\) FROM [^']*'?\w*'?/g) ?? [];
      // The alarms' five, the replies cut short, and three read beside Api5xxRate (graphed, no alarm).
      expect(graphed).toHaveLength(9);
      for (const q of graphed) expect(q).toMatch(new RegExp(`WHERE Stage = '${stage}'$`));
    }
  });

  it('refuses to build a query from anything but a metric name and a stage', () => {
    expect(stageSumQuery('Lockouts', 'prod')).toBe(`SELECT SUM(Lockouts) FROM "Parley" WHERE Stage = 'prod'`);
    expect(stageSumQuery('ServerErrors', 'prod', 'route')).toBe(
      `SELECT SUM(ServerErrors) FROM "Parley" WHERE Stage = 'prod' GROUP BY route`,
    );
    expect(() => stageSumQuery('Lockouts', "prod' OR Stage != '")).toThrow(/Not a metric name/);
    expect(() => stageSumQuery('Lockouts) FROM x --', 'prod')).toThrow(/Not a metric name/);
  });

  it("says in the page's text every function whose errors page, and keeps within the composite alarm's limits", () => {
    for (const stage of [dev, prod]) {
      const [composite] = Object.values(
        stage.templates.monitoring.findResources('AWS::CloudWatch::CompositeAlarm'),
      );
      const rule = JSON.stringify(composite?.Properties.AlarmRule);
      const description = String(composite?.Properties.AlarmDescription);
      // The description is what the SNS e-mail says: the operator reads it before the rule.
      const groups = [...rule.matchAll(/:alarm:parley-\w+-api-(\w+)-errors/g)].map((m) => m[1] ?? '');
      expect(groups).toEqual(expect.arrayContaining(['chat', 'conversations']));
      for (const group of groups) expect(description, `${group} in the description`).toContain(group);
      // "PutCompositeAlarm" (CloudWatch API reference): "The rule expression of a composite alarm
      // can include as many as 100 underlying alarms"; AlarmDescription is at most 1024 characters.
      expect((rule.match(/ALARM\(/g) ?? []).length).toBeLessThanOrEqual(100);
      expect(description.length).toBeLessThanOrEqual(1024);
    }
  });

  it('pages through one composite "users affected" alarm and has a dashboard', () => {
    dev.templates.monitoring.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'parley-dev-users-affected',
      AlarmActions: Match.anyValue(),
    });
    const [composite] = Object.values(
      dev.templates.monitoring.findResources('AWS::CloudWatch::CompositeAlarm'),
    );
    // Users are affected when sending (chat) or reading (conversations) fails.
    expect(JSON.stringify(composite?.Properties.AlarmRule)).toMatch(/:alarm:parley-dev-api-chat-errors/);
    expect(JSON.stringify(composite?.Properties.AlarmRule)).toMatch(
      /:alarm:parley-dev-api-conversations-errors/,
    );
    dev.templates.monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    dev.templates.foundation.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email' });
  });
});

/** The dashboard's widgets, its body's references (function names, the region) as placeholders. */
function dashboardWidgets(stage: SynthesizedStage) {
  const [dashboard] = Object.values(stage.templates.monitoring.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return (JSON.parse(text) as { widgets: { properties: { title?: string; metrics?: unknown[] } }[] }).widgets;
}

describe('the dashboard', () => {
  it('graphs each Metrics Insights query in a widget of its own: GetMetricData takes one such query a call', () => {
    // "If you include a Metrics Insights query, each GetMetricData operation can include only one
    // query" (CloudWatch API reference, GetMetricData); a graph is read with one call.
    for (const stage of [dev, prod]) {
      const widgets = dashboardWidgets(stage);
      const queriesOf = (w: (typeof widgets)[number]) =>
        (w.properties.metrics ?? []).filter((m) => JSON.stringify(m).includes('"expression":"SELECT '))
          .length;
      expect(widgets.filter((w) => queriesOf(w) > 0).length).toBeGreaterThanOrEqual(6);
      for (const w of widgets) expect(queriesOf(w), w.properties.title).toBeLessThanOrEqual(1);
    }
  });

  it("graphs the time to the model's first token, p50 and p99, on the series ModelSlowToStart reads", () => {
    for (const [stage, synthesized] of [
      ['dev', dev],
      ['prod', prod],
    ] as const) {
      const graphed = dashboardWidgets(synthesized).find((w) =>
        w.properties.title?.startsWith('TimeToFirstToken'),
      );
      expect(graphed, 'a TimeToFirstToken graph').toBeDefined();
      const lines = (graphed?.properties.metrics ?? []) as unknown[][];
      const ttft = lines.filter((line) => line[0] === 'Parley' && line[1] === 'TimeToFirstToken');
      expect(ttft.map((line) => (line.at(-1) as { stat?: string }).stat)).toEqual(['p50', 'p99']);
      for (const line of ttft) {
        // The alarm's exact dimension set, [service, Stage]: a plain metric matches it exactly.
        const dimensions = line.slice(2, -1);
        expect(dimensions).toHaveLength(4);
        expect(Object.fromEntries([0, 2].map((i) => [dimensions[i], dimensions[i + 1]]))).toEqual({
          service: 'chat',
          Stage: stage,
        });
      }
      // The alarm's threshold drawn on it.
      expect(JSON.stringify(graphed)).toMatch(/"value":10000/);
    }
  });

  // "Dashboard Body Structure and Syntax" (CloudWatch API reference): "between 0 and 500 widget
  // objects"; a widget's width is "1-24" grid units and its height "1-1000".
  it('keeps within the dashboard body limits', () => {
    for (const stage of [dev, prod]) {
      const widgets = dashboardWidgets(stage) as unknown as { x: number; width: number; height: number }[];
      expect(widgets.length).toBeLessThanOrEqual(500);
      for (const w of widgets) {
        expect(w.width).toBeGreaterThanOrEqual(1);
        expect(w.x + w.width).toBeLessThanOrEqual(24);
        expect(w.height).toBeGreaterThanOrEqual(1);
        expect(w.height).toBeLessThanOrEqual(1000);
      }
    }
  });

  it('graphs what an operator paged by Api5xxRate or a wave of 429s reads: DatabaseUnavailable, ServerErrors by route, RateLimitRejections', () => {
    /** The dashboard's Metrics Insights queries, with the label each is drawn with. */
    const queries = (stage: SynthesizedStage) =>
      dashboardWidgets(stage).flatMap((w) =>
        ((w.properties.metrics ?? []) as unknown[][]).flatMap((line) =>
          line.flatMap((part) => {
            const { expression, label } = (part ?? {}) as { expression?: unknown; label?: unknown };
            return typeof expression === 'string' ? [{ expression, label }] : [];
          }),
        ),
      );
    for (const [stage, synthesized] of [
      ['dev', dev],
      ['prod', prod],
    ] as const) {
      const graphed = queries(synthesized).map((q) => q.expression);
      // Aurora away (503 with Retry-After) apart from our own bugs (500), per route, and the
      // per-minute limit's refusals, each in the stage's series only.
      expect(graphed).toContain(`SELECT SUM(DatabaseUnavailable) FROM "Parley" WHERE Stage = '${stage}'`);
      expect(graphed).toContain(
        `SELECT SUM(ServerErrors) FROM "Parley" WHERE Stage = '${stage}' GROUP BY route`,
      );
      expect(graphed).toContain(`SELECT SUM(RateLimitRejections) FROM "Parley" WHERE Stage = '${stage}'`);
      // Each route's series named by its route, the grouped query's default label ("Use dynamic
      // labels", CloudWatch user guide: ${LABEL}); a fixed label would name them all alike.
      const byRoute = queries(synthesized).find((q) => q.expression.endsWith(' GROUP BY route'));
      expect(byRoute?.label).toBe('${LABEL}');
      // The series the API functions publish: Powertools writes to POWERTOOLS_METRICS_NAMESPACE
      // with the STAGE variable as the `Stage` dimension on every metric.
      const api = ourFunctions(synthesized).filter((f) =>
        String(f.props.FunctionName).startsWith(`parley-${stage}-api-`),
      );
      expect(api.map((f) => f.props.FunctionName)).toContain(`parley-${stage}-api-chat`);
      for (const f of api) {
        const env = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(env, String(f.props.FunctionName)).toMatchObject({
          POWERTOOLS_METRICS_NAMESPACE: 'Parley',
          STAGE: stage,
        });
      }
    }
    const powertools = readFileSync(join(ROOT, 'functions/shared/powertools.ts'), 'utf8');
    expect(powertools).toMatch(/defaultDimensions: \{ Stage: process\.env\.STAGE \}/);
    // GROUP BY route: every API request's metrics carry the route's id as `route`.
    const apiHandler = readFileSync(join(ROOT, 'functions/shared/http/api-handler.ts'), 'utf8');
    expect(apiHandler).toMatch(/metrics\.addDimension\('route', route\.id\)/);
    // "A single query can return no more than 500 time series" (CloudWatch, Metrics Insights
    // quotas): one a route, and "Other" for a series without one, all shown.
    expect(routes.length + 1).toBeLessThanOrEqual(500);
  });

  it('graphs the replies cut short at their length limit, for tuning chatMaxReplyTokens', () => {
    const graphed = dashboardWidgets(dev).find((w) => w.properties.title === 'RepliesCutShort');
    expect(JSON.stringify(graphed?.properties.metrics)).toContain(
      `SELECT SUM(RepliesCutShort) FROM \\"Parley\\" WHERE Stage = 'dev'`,
    );
  });
});

describe('no export locks', () => {
  it('watches functions and alarms by name: the alarm topic is its only import', () => {
    // An import of a function name or alarm ARN would make removing a handler group or renaming
    // an alarm fail with "Export … cannot be deleted as it is in use by Parley-<stage>-Monitoring".
    for (const stage of [dev, prod]) {
      const imports =
        JSON.stringify(stage.templates.monitoring.toJSON()).match(/"Fn::ImportValue":"[^"]*"/g) ?? [];
      expect(imports.length).toBeGreaterThan(0);
      for (const i of imports) expect(i).toMatch(/Foundation:ExportsOutputRefAlarmTopic/);
    }
  });

  it('names the functions on the dashboard by their fixed physical names', () => {
    const dashboard = JSON.stringify(dev.templates.monitoring.findResources('AWS::CloudWatch::Dashboard'));
    for (const name of [
      'parley-dev-api-chat',
      'parley-dev-migrator',
      'parley-dev-retention',
      'parley-dev-pre-token-generation',
    ]) {
      expect(dashboard).toMatch(new RegExp(`FunctionName[^\\w]+${name}[^\\w-]`));
    }
    const functions = resourcesOfType(dev, 'AWS::Lambda::Function').map((f) => f.props.FunctionName);
    expect(functions).toContain('parley-dev-api-chat');
    expect(functions).toContain('parley-dev-migrator');
    expect(functions).toContain('parley-dev-retention');
  });
});
