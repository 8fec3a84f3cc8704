import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
});

describe('the GitHub OIDC provider', () => {
  it('belongs to no stage: destroying one cannot delete it', () => {
    for (const stage of [dev, prod]) expect(resourcesOfType(stage, 'AWS::IAM::OIDCProvider')).toEqual([]);
  });

  it('is trusted by ARN, not through an export of the account stack', () => {
    dev.templates.delivery.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: {
              Federated: {
                'Fn::Join': [
                  '',
                  Match.arrayWith([
                    Match.stringLikeRegexp(':oidc-provider/token.actions.githubusercontent.com$'),
                  ]),
                ],
              },
            },
          }),
        ],
      }),
    });
    expect(JSON.stringify(dev.templates.delivery.toJSON())).not.toContain('Fn::ImportValue');
  });
});

describe('least privilege', () => {
  it('lets the GitHub deploy role only assume the CDK bootstrap roles', () => {
    dev.templates.delivery.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Resource: Match.arrayWith([
              Match.objectLike({
                'Fn::Join': [
                  '',
                  Match.arrayWith([Match.stringLikeRegexp(':role/cdk-hnb659fds-deploy-role-')]),
                ],
              }),
            ]),
          }),
        ],
      },
    });
    dev.templates.delivery.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': 'repo:parley-org/parley:environment:dev',
              },
            },
          }),
        ],
      }),
    });
  });
});
