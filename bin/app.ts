#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { stageConfig } from '../lib/config/stages';
import { addNagChecks, addParleyAccount, addParleyStage } from '../lib/parley-app';

/**
 * `npx cdk deploy --all -c stage=<dev|staging|prod>`: one stage's stacks per invocation.
 * `npx cdk deploy -c account=true`: the account-level stack (lib/stacks/account-stack.ts).
 * cdk-nag (AwsSolutions + Serverless) runs on every synth and fails it on any finding that is
 * not acknowledged (acknowledgements and their reasons: docs/security.md).
 */
const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
// `-c account=true`: only the account-level stack (once per account, before any stage).
if (String(app.node.tryGetContext('account')) === 'true') addParleyAccount(app, stageConfig(stage));
else addParleyStage(app, stageConfig(stage));
addNagChecks(app);
app.synth();
