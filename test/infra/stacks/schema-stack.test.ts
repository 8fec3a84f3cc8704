import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

describe('the migrations', () => {
  it('run on deploy, waiting for the migrator, and fail the deploy when they throw', () => {
    // Prepare
    const template = dev.templates.schema.toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };

    // Act
    const triggers = Object.entries(template.Resources).filter(([, r]) => r.Type === 'Custom::Trigger');

    // Assess: one, invoked synchronously (its error is the custom resource's), on handler changes.
    expect(triggers).toHaveLength(1);
    const [id, trigger] = triggers[0] ?? [];
    expect(id).toMatch(/^MigrateOnDeploy/);
    expect(trigger?.Properties).toMatchObject({
      InvocationType: 'RequestResponse',
      ExecuteOnHandlerChange: true,
    });
  });

  it('run under a function name of their own, not the one the Api stack held until they moved', () => {
    const names = Object.values(dev.templates.schema.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { FunctionName?: unknown } }).Properties.FunctionName,
    );
    expect(names).toContain('parley-dev-migrator');
    expect(names).not.toContain('parley-dev-migrations');
  });
});
