#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addParleyStacks } from './cdk-app';

/**
 * `npx cdk deploy --all -c stage=<dev|staging|prod>`: one stage's stacks per invocation.
 * `npx cdk deploy -c account=true`: the account-level stack (lib/stacks/account-stack.ts).
 * What each adds, and the cdk-nag checks on every synth: cdk-app.ts.
 */
const app = new App();
addParleyStacks(app);
app.synth();
