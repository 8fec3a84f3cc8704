import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { createParleyApp } from '../../lib/parley-app';

/**
 * No function that touches the database may go live before the migrations its release brings
 * have run: not an API function, not a Cognito trigger (Cognito calls `$LATEST`, without a
 * canary), not the retention or sign-in activity run. `cdk deploy --all` deploys a stack only once
 * every stack it depends on is complete, and inside a stack CloudFormation follows `DependsOn`.
 */
type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[] };
type Template = { Resources?: Record<string, Resource> };

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const resourcesOf = (stack: CloudFormationStackArtifact) => (stack.template as Template).Resources ?? {};

/** The stacks `stack` waits for, directly or through others. */
function stacksBefore(stack: CloudFormationStackArtifact): Set<string> {
  const seen = new Set<string>();
  const visit = (s: CloudFormationStackArtifact) => {
    for (const d of s.dependencies) {
      if (d instanceof CloudFormationStackArtifact && !seen.has(d.stackName)) {
        seen.add(d.stackName);
        visit(d);
      }
    }
  };
  visit(stack);
  return seen;
}

/** Logical ids of the functions of a stack whose role may call the Data API. */
function databaseFunctions(stack: CloudFormationStackArtifact): string[] {
  const resources = Object.entries(resourcesOf(stack));
  const rolesWithDataApi = new Set(
    resources
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(r.Properties?.PolicyDocument).includes('rds-data:ExecuteStatement'))
      .flatMap(([, r]) => asArray(r.Properties?.Roles as { Ref?: string }[]).map((role) => role.Ref)),
  );
  return resources
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .filter(([, r]) => {
      const role = r.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
      return rolesWithDataApi.has(role?.['Fn::GetAtt']?.[0]);
    })
    .map(([id]) => id);
}

/** The function a trigger invokes: its HandlerArn is a version of it (`currentVersion`). */
function handlerOf(resources: Record<string, Resource>, trigger: Resource): string | undefined {
  const version = (trigger.Properties?.HandlerArn as { Ref?: string } | undefined)?.Ref;
  const functionName = resources[version ?? '']?.Properties?.FunctionName as { Ref?: string } | undefined;
  return functionName?.Ref;
}

function migrationOrder(assembly: CloudAssembly) {
  const stacks = assembly.stacks;
  const holders = stacks.flatMap((stack) =>
    Object.entries(resourcesOf(stack))
      .filter(([id, r]) => r.Type === 'Custom::Trigger' && id.startsWith('MigrateOnDeploy'))
      .map(([id, r]) => ({ stack, id, handler: handlerOf(resourcesOf(stack), r) })),
  );
  return { stacks, holders };
}

describe.each(['dev', 'prod'])('the %s stage', (stage) => {
  let assembly: CloudAssembly;
  beforeAll(() => {
    assembly = createParleyApp({
      stage,
      nag: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    }).app.synth();
  });

  it('puts every function with database access live only after the migrations have run', () => {
    // Prepare: the one migration trigger, and the stack it is in.
    const { stacks, holders } = migrationOrder(assembly);
    expect(holders).toHaveLength(1);
    const [migration] = holders;
    if (!migration) throw new Error('no MigrateOnDeploy');
    expect(migration.handler).toMatch(/^Migrator/);

    // Act: each function with Data API access, and what it waits for.
    const late = stacks.flatMap((stack) =>
      databaseFunctions(stack)
        .filter((id) => id !== migration.handler)
        .filter((id) =>
          stack.stackName === migration.stack.stackName
            ? !asArray(resourcesOf(stack)[id]?.DependsOn).includes(migration.id)
            : !stacksBefore(stack).has(migration.stack.stackName),
        )
        .map((id) => `${stack.stackName}/${id}`),
    );

    // Assess: none goes live before the migrations (the migrator itself aside).
    expect(stacks.flatMap(databaseFunctions).length).toBeGreaterThan(10);
    expect(late).toEqual([]);
  });

  it('migrates before the user pool and its triggers are deployed', () => {
    // Prepare
    const { stacks, holders } = migrationOrder(assembly);
    const auth = stacks.find((s) => s.stackName === `Parley-${stage}-Auth`);
    if (!auth) throw new Error('no Auth stack');

    // Act
    const before = stacksBefore(auth);

    // Assess
    expect(before.has(holders[0]?.stack.stackName ?? '')).toBe(true);
  });
});
