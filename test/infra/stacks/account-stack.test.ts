import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageConfig } from '../../../lib/config/stages';
import { addNagChecks, addParleyAccount, cdkJsonContext } from '../../../lib/parley-app';
import { ACCOUNT_STACK_NAME } from '../../../lib/stacks/account-stack';

let template: Template;
let terminationProtection: boolean | undefined;
beforeAll(() => {
  // As `cdk synth -c account=true` builds it, cdk-nag included.
  const app = new App({ context: cdkJsonContext() });
  const stack = addParleyAccount(app, stageConfig('dev'));
  addNagChecks(app);
  const assembly = app.synth();
  template = Template.fromJSON(assembly.getStackByName(ACCOUNT_STACK_NAME).template);
  terminationProtection = stack.terminationProtection;
});

describe('the account stack', () => {
  it('holds the account’s one GitHub OIDC provider, kept when the stack goes', () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResource('AWS::IAM::OIDCProvider', {
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(terminationProtection).toBe(true);
  });

  it('holds no Lambda function (the native OIDC provider needs none), so no undeclared log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('is named once per account, not per stage', () => {
    expect(ACCOUNT_STACK_NAME).not.toMatch(/dev|staging|prod/);
  });
});
