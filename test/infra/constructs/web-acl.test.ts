import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

describe('WAF', () => {
  const managed = [
    'AWSManagedRulesCommonRuleSet',
    'AWSManagedRulesKnownBadInputsRuleSet',
    'AWSManagedRulesSQLiRuleSet',
    'AWSManagedRulesAmazonIpReputationList',
    'AWSManagedRulesAnonymousIpList',
  ];
  const ruleNames = (t: 'auth' | 'api' | 'edgeWaf') => {
    const acl = Object.values(dev.templates[t].findResources('AWS::WAFv2::WebACL'))[0];
    return (acl?.Properties.Rules as { Name: string }[]).map((r) => r.Name);
  };

  it('logs what every web ACL blocks or counts, encrypted, with the Authorization header redacted', () => {
    const acls = resourcesOfType(dev, 'AWS::WAFv2::WebACL');
    const configs = resourcesOfType(dev, 'AWS::WAFv2::LoggingConfiguration');
    expect(configs).toHaveLength(acls.length);
    for (const config of configs) {
      expect(config.props.RedactedFields).toEqual([{ SingleHeader: { Name: 'authorization' } }]);
      expect(config.props.LoggingFilter).toMatchObject({
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      });
      // Delivered to a log group WAF accepts: named aws-waf-logs-*, ARN without the ':*' suffix.
      const destination = JSON.stringify(config.props.LogDestinationConfigs);
      expect(destination, config.id).toContain('log-group:aws-waf-logs-parley-dev-');
      expect(destination, config.id).not.toContain(':*');
    }
    const groups = resourcesOfType(dev, 'AWS::Logs::LogGroup').filter((g) =>
      String(g.props.LogGroupName).startsWith('aws-waf-logs-'),
    );
    expect(groups).toHaveLength(acls.length);
    for (const group of groups) {
      expect(group.props.KmsKeyId, group.id).toBeDefined();
      expect(group.props.RetentionInDays, group.id).toBe(30);
    }
  });

  it('protects API Gateway and CloudFront with the managed groups and rate limits', () => {
    for (const t of ['api', 'edgeWaf'] as const) {
      expect(ruleNames(t)).toEqual(
        expect.arrayContaining([
          ...managed,
          'RatePerIp',
          'RatePerIpMessages',
          'BodyOver8KbOutsideMessages',
          'MessageBodyTooLarge',
        ]),
      );
    }
    dev.templates.edgeWaf.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    expect(dev.stacks.edgeWaf.region).toBe('us-east-1');
  });

  it("counts, not blocks, the Common set's 8 KB body rule and replaces it", () => {
    const acl = Object.values(dev.templates.api.findResources('AWS::WAFv2::WebACL'))[0];
    const common = (
      acl?.Properties.Rules as { Name: string; Statement: { ManagedRuleGroupStatement: unknown } }[]
    ).find((r) => r.Name === 'AWSManagedRulesCommonRuleSet');
    expect(common?.Statement.ManagedRuleGroupStatement).toMatchObject({
      RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
    });
  });

  it('associates the regional ACLs with the API stage and the user pool, and the edge ACL with CloudFront', () => {
    dev.templates.api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('/restapis/')])]),
      }),
    });
    dev.templates.auth.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UserPool'), 'Arn'] },
    });
    expect(ruleNames('auth')).toEqual(
      expect.arrayContaining(['RatePerIp', 'AWSManagedRulesAmazonIpReputationList']),
    );
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: Match.anyValue() }),
    });
  });
});
