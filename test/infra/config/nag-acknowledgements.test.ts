import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { NAG_ACKNOWLEDGEMENTS } from '../../../lib/config/nag-acknowledgements';
import { STAGES } from '../../../lib/config/stages';
import { REPO_ROOT } from '../../../lib/constructs/app-function';
import { createParleyApp } from '../../../lib/parley-app';
import { synthesizeStage, type SynthesizedStage } from '../support';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/**
 * A whole stage's synth inside a test: the time the other infra tests give theirs, which run in
 * beforeAll under the config's hookTimeout (120 s), not the 30 s testTimeout that a busy machine
 * can exceed (one of these once took 30.5 s).
 */
const SYNTH_TIMEOUT_MS = 120_000;

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it.each(STAGES)(
    'synthesizes %s with zero unacknowledged findings',
    (stage) => {
      // Act and Assess: any unacknowledged finding makes synth throw.
      expect(() => synthesizeStage(stage)).not.toThrow();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'synthesizes with zero unacknowledged findings when the account is known, as at cdk deploy',
    () => {
      // `cdk deploy` sets CDK_DEFAULT_ACCOUNT from the credentials, so the stacks see a literal
      // account id where the tests above see the AWS::AccountId token.
      expect(() =>
        synthesizeStage('dev', { change: (c) => ({ ...c, account: '123456789012' }) }),
      ).not.toThrow();
    },
    SYNTH_TIMEOUT_MS,
  );

  it('fails the synth on an unacknowledged finding', () => {
    // Prepare: a bucket with no encryption policy, logging or SSL enforcement.
    const { app } = createParleyApp({ stage: 'dev', context: NO_BUNDLING });
    const rogue = new Stack(app, 'Rogue', { env: { region: 'eu-west-1' } });
    new s3.Bucket(rogue, 'Leaky');

    // Act and Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('keeps the acknowledgements to 15 or fewer, each with a specific reason', () => {
    const entries = Object.values(NAG_ACKNOWLEDGEMENTS);
    expect(entries.length).toBeLessThanOrEqual(15);
    for (const entry of entries) expect(entry.reason.length).toBeGreaterThan(60);
  });

  it('lists every acknowledgement in docs/security.md', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
    for (const { id } of Object.values(NAG_ACKNOWLEDGEMENTS)) {
      const rule = id.replace(/\[.*$/, '');
      expect(doc, `docs/security.md should mention ${rule}`).toContain(rule);
    }
  });
});

type Resource = { Type: string; Properties?: Record<string, unknown> };

/**
 * The functions something invokes asynchronously (the only invocations a Lambda dead-letter queue
 * ever receives): EventBridge Scheduler and EventBridge rule targets, event source mappings, log
 * subscription filters, SNS subscriptions. Each is named as deployed, the stage written <stage>;
 * an invoker whose function cannot be told from the template is listed as it stands.
 */
function asynchronouslyInvoked(synthesized: SynthesizedStage, stage: string): string[] {
  return Object.values(synthesized.templates).flatMap((template) => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    /** The deployed name of the function a reference leads to; undefined when not a function. */
    const functionName = (value: unknown): string | undefined => {
      const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
      const id = ref?.Ref ?? ref?.['Fn::GetAtt']?.[0];
      const resource = id ? resources[id] : undefined;
      if (!resource) return `unresolved ${JSON.stringify(value)}`;
      if (resource.Type === 'AWS::Lambda::Alias' || resource.Type === 'AWS::Lambda::Version') {
        return functionName(resource.Properties?.FunctionName);
      }
      if (resource.Type !== 'AWS::Lambda::Function') return undefined;
      const name = resource.Properties?.FunctionName;
      return typeof name === 'string' ? name.replace(`parley-${stage}-`, 'parley-<stage>-') : `unnamed ${id}`;
    };
    const targets = Object.values(resources).flatMap((r) => {
      const p = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::Scheduler::Schedule':
          return [(p.Target as { Arn?: unknown } | undefined)?.Arn];
        case 'AWS::Events::Rule':
          return ((p.Targets ?? []) as { Arn?: unknown }[]).map((t) => t.Arn);
        case 'AWS::Lambda::EventSourceMapping':
          return [p.FunctionName];
        case 'AWS::Logs::SubscriptionFilter':
          return [p.DestinationArn];
        case 'AWS::SNS::Subscription':
          return p.Protocol === 'lambda' ? [p.Endpoint] : [];
        default:
          return [];
      }
    });
    return targets.map(functionName).filter((name): name is string => name !== undefined);
  });
}

describe('the app-wide dead-letter queue acknowledgement', () => {
  let invoked: string[] = [];
  beforeAll(() => {
    invoked = asynchronouslyInvoked(synthesizeStage('prod'), 'prod');
  });

  it('finds the functions invoked asynchronously in the synthesized app', () => {
    expect(invoked).toEqual(
      expect.arrayContaining(['parley-<stage>-retention', 'parley-<stage>-sign-in-activity']),
    );
  });

  it('names every function invoked asynchronously, and says why it needs no queue', () => {
    // Act
    const unnamed = invoked.filter((name) => !NAG_ACKNOWLEDGEMENTS.lambdaDlq.reason.includes(name));

    // Assess
    expect(unnamed).toEqual([]);
  });
});
