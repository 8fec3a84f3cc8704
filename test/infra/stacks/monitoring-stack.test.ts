import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

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
      Dimensions: [{ Name: 'service', Value: 'chat' }],
      ExtendedStatistic: 'p99',
      Threshold: 10_000,
      AlarmActions: Match.anyValue(),
    });
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
      'parley-dev-migrations',
      'parley-dev-retention',
      'parley-dev-pre-token-generation',
    ]) {
      expect(dashboard).toMatch(new RegExp(`FunctionName[^\\w]+${name}[^\\w-]`));
    }
    const functions = resourcesOfType(dev, 'AWS::Lambda::Function').map((f) => f.props.FunctionName);
    expect(functions).toContain('parley-dev-api-chat');
    expect(functions).toContain('parley-dev-migrations');
    expect(functions).toContain('parley-dev-retention');
  });
});
