import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
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
