import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
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

  it('pages through one composite "users affected" alarm and has a dashboard', () => {
    dev.templates.monitoring.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'parley-dev-users-affected',
      AlarmActions: Match.anyValue(),
    });
    const [composite] = Object.values(
      dev.templates.monitoring.findResources('AWS::CloudWatch::CompositeAlarm'),
    );
    // Users are affected when sending (chat) or reading (conversations) fails.
    expect(JSON.stringify(composite?.Properties.AlarmRule)).toMatch(/Fnchat/);
    expect(JSON.stringify(composite?.Properties.AlarmRule)).toMatch(/Fnconversations/);
    dev.templates.monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    dev.templates.foundation.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email' });
  });
});
