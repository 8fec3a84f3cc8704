import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';

import { stageConfig } from '../lib/config/stages';
import { addParleyStacks } from './cdk-app';

/** An app as `cdk` makes it from `-c` options; esbuild is skipped (only the stacks are looked at). */
function appWith(context: Record<string, unknown>) {
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  addParleyStacks(app);
  return { app, stacks: app.node.children.filter(Stack.isStack) };
}

describe('the CDK app (bin/app.ts)', () => {
  it('adds only the account-level stack with -c account=true, in the stage’s region, and synthesizes it past cdk-nag', () => {
    const { app, stacks } = appWith({ account: 'true', stage: 'prod' });
    expect(stacks.map((s) => s.stackName)).toEqual(['Parley-Account']);
    expect(stacks[0]?.region).toBe(stageConfig('prod').region);
    expect(app.synth().getStackByName('Parley-Account').template).toHaveProperty('Resources');
  });

  it('reads "account": true from a context file as well', () => {
    expect(appWith({ account: true }).stacks.map((s) => s.stackName)).toEqual(['Parley-Account']);
  });

  it('adds the dev stage’s stacks when no stage is named, and never the account stack', () => {
    const names = appWith({ account: 'false' }).stacks.map((s) => s.stackName);
    expect(names).toContain('Parley-dev-Api');
    expect(names.every((name) => name.startsWith('Parley-dev-'))).toBe(true);
  });

  it('refuses a stage it does not know, naming the ones it does', () => {
    expect(() => appWith({ stage: 'qa' })).toThrow('Unknown stage "qa": expected one of dev, staging, prod');
  });
});
