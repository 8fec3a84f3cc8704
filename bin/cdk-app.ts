import type { App } from 'aws-cdk-lib';

import { stageConfig } from '../lib/config/stages';
import { addNagChecks, addParleyAccount, addParleyStage } from '../lib/parley-app';

/**
 * What `cdk` synthesizes, chosen by its context: `-c stage=<dev|staging|prod>` (default dev) adds
 * that stage's stacks; `-c account=true` adds only the account-level stack (lib/stacks/account-stack.ts,
 * once per account, before any stage). cdk-nag (AwsSolutions + Serverless) runs on every synth and
 * fails it on any finding that is not acknowledged (acknowledgements and their reasons: docs/security.md).
 */
export function addParleyStacks(app: App): void {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  // `-c account=true` arrives as a string, `"account": true` in a context file as a boolean.
  if (String(app.node.tryGetContext('account')) === 'true') addParleyAccount(app, stageConfig(stage));
  else addParleyStage(app, stageConfig(stage));
  addNagChecks(app);
}
