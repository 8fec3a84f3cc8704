import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

type Statement = {
  Effect: string;
  Principal?: { Service?: string | string[] };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

function keyStatements(logicalIdPrefix: string): Statement[] {
  const keys = dev.templates.foundation.findResources('AWS::KMS::Key');
  const entry = Object.entries(keys).find(([id]) => id.startsWith(logicalIdPrefix));
  expect(entry, logicalIdPrefix).toBeDefined();
  return (entry?.[1].Properties.KeyPolicy as { Statement: Statement[] }).Statement;
}

const principalOf = (s: Statement) => JSON.stringify(s.Principal?.Service ?? '');

describe('alarm delivery', () => {
  it('lets CloudWatch publish to the alarm topic for this stage’s alarms only', () => {
    // enforceSSL alone writes a Deny-only policy: nothing could publish, no alarm would arrive.
    dev.templates.foundation.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':alarm:parley-dev-\\*$')])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('still refuses publishing without TLS', () => {
    dev.templates.foundation.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts the topic with a key of its own, not the log groups’ key', () => {
    dev.templates.foundation.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] },
    });
    for (const s of keyStatements('OpsKey')) {
      expect(principalOf(s)).not.toMatch(/cloudwatch|events|sns/);
    }
  });

  it('lets CloudWatch use the topic key only for this stage’s alarms and this stack’s topic', () => {
    const services = keyStatements('AlarmTopicKey').filter((s) => s.Principal?.Service);
    expect(services.map(principalOf)).toEqual(['"cloudwatch.amazonaws.com"']);
    for (const s of services) {
      expect(s.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(s.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(JSON.stringify(s.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(/:alarm:parley-dev-\*/);
      expect(JSON.stringify(s.Condition?.StringLike?.['kms:EncryptionContext:aws:sns:topicArn'])).toContain(
        ':Parley-dev-Foundation-AlarmTopic*',
      );
    }
  });
});
