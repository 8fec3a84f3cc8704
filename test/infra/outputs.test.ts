import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from './support';

type Outputs = Record<string, { Value: unknown; Export?: unknown }>;

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

const outputsOf = (stack: keyof SynthesizedStage['templates']): Outputs =>
  (dev.templates[stack].toJSON().Outputs ?? {}) as Outputs;

describe('stack outputs the deployment guide reads', () => {
  it('outputs the user pool id from the Auth stack, not exported', () => {
    const output = outputsOf('auth').UserPoolId;
    expect(output?.Value).toEqual({ Ref: expect.stringMatching(/^UserPool[0-9A-F]{8}$/) as unknown });
    // Read by operators only: an export would tie the pool to every stack importing it.
    expect(output?.Export).toBeUndefined();
  });

  it("outputs the OpenAI key secret's ARN from the Data stack, not exported", () => {
    const output = outputsOf('data').OpenAiSecretArn;
    expect(output?.Value).toEqual({ Ref: expect.stringMatching(/^OpenAiApiKey[0-9A-F]{8}$/) as unknown });
    expect(output?.Export).toBeUndefined();
  });

  it('sends operators to the stack that holds each output the guide names', () => {
    const guide = readFileSync(join(import.meta.dirname, '../../docs/deployment.md'), 'utf8');
    const queries = [
      ...guide.matchAll(/describe-stacks --stack-name Parley-<stage>-(\w+)[^\n]*OutputKey=='(\w+)'/g),
    ];
    const stacks: Record<string, keyof SynthesizedStage['templates']> = {
      Auth: 'auth',
      Data: 'data',
      Api: 'api',
      Web: 'web',
    };
    expect(queries.map((q) => q[2])).toEqual(expect.arrayContaining(['UserPoolId', 'OpenAiSecretArn']));
    for (const [, stack = '', key = ''] of queries) {
      const template = stacks[stack];
      expect(template, `stack Parley-<stage>-${stack}`).toBeDefined();
      expect(Object.keys(outputsOf(template ?? 'web')), `${key} in Parley-<stage>-${stack}`).toContain(key);
    }
  });
});
