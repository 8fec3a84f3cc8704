import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from './support';

type Outputs = Record<string, { Value: unknown; Export?: unknown }>;

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

const DOCS = join(import.meta.dirname, '../../docs');
const STACKS: Record<string, keyof SynthesizedStage['templates']> = {
  Auth: 'auth',
  Data: 'data',
  Api: 'api',
  Web: 'web',
};

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

  it.each(['DatabaseSecretArn', 'ApplicationSecretArn'])(
    'outputs the %s of a database secret from the Data stack, not exported',
    (key) => {
      // The runbook's restore, password reset and forced rotation need the ARN during an incident;
      // the secrets have generated names, the same logical id in every stage.
      const output = outputsOf('data')[key];
      expect(output?.Value).toEqual({ Ref: expect.stringMatching(/^\w+$/) as unknown });
      const resources = dev.templates.data.toJSON().Resources as Record<string, { Type: string }>;
      const { Ref: id } = output?.Value as { Ref: string };
      expect(['AWS::SecretsManager::Secret', 'AWS::SecretsManager::SecretTargetAttachment']).toContain(
        resources[id]?.Type,
      );
      expect(output?.Export).toBeUndefined();
    },
  );

  it('outputs the master and the application secret, not one twice', () => {
    const outputs = outputsOf('data');
    expect(outputs.DatabaseSecretArn?.Value).not.toEqual(outputs.ApplicationSecretArn?.Value);
  });

  it.each(['deployment.md', 'runbook.md', 'security.md'])(
    'docs/%s sends operators to the stack that holds each output it names',
    (page) => {
      const text = readFileSync(join(DOCS, page), 'utf8');
      const queries = [
        ...text.matchAll(/describe-stacks --stack-name Parley-<stage>-(\w+)[^\n]*OutputKey=='(\w+)'/g),
      ];
      for (const [, stack = '', key = ''] of queries) {
        const template = STACKS[stack];
        expect(template, `stack Parley-<stage>-${stack}`).toBeDefined();
        expect(Object.keys(outputsOf(template ?? 'web')), `${key} in Parley-<stage>-${stack}`).toContain(key);
      }
    },
  );

  it('reads the outputs the deployment guide needs', () => {
    const guide = readFileSync(join(DOCS, 'deployment.md'), 'utf8');
    const keys = [
      ...guide.matchAll(/describe-stacks --stack-name Parley-<stage>-\w+[^\n]*OutputKey=='(\w+)'/g),
    ];
    expect(keys.map((q) => q[1])).toEqual(expect.arrayContaining(['UserPoolId', 'OpenAiSecretArn']));
  });

  it.each(['runbook.md', 'security.md'])(
    'docs/%s fills every secret placeholder with a command of its own stage',
    (page) => {
      const text = readFileSync(join(DOCS, page), 'utf8');
      // A placeholder the page gives no way to fill ("<DatabaseSecret ARN>") stops an operator
      // in the middle of an incident.
      expect(text.match(/<[\w ]*Secret ARN>/g) ?? []).toEqual([]);
      // Every stage's secrets have the same generated names: a search by name finds all of them.
      expect(text).not.toMatch(/list-secrets[^\n]*contains\(Name/);
      const read = new Set(
        [...text.matchAll(/describe-stacks --stack-name Parley-<stage>-\w+[^\n]*OutputKey=='(\w+)'/g)].map(
          (m) => m[1],
        ),
      );
      const placeholders = new Set([...text.matchAll(/<(\w+SecretArn)>/g)].map((m) => m[1]));
      expect(placeholders.size).toBeGreaterThan(0);
      for (const key of placeholders)
        expect(read, `docs/${page}: <${key}> without the describe-stacks command that reads it`).toContain(
          key,
        );
    },
  );
});
