import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { RouteDeclaration } from '#api/index';
import { parseStageConfig, type StageConfig, stageConfig } from '../../lib/config/stages';
import {
  addNagChecks,
  addParleyStage,
  allStacks,
  cdkJsonContext,
  createParleyApp,
  type ParleyStacks,
} from '../../lib/parley-app';

export interface SynthesizedStage {
  readonly stacks: ParleyStacks;
  /** Templates by short name: foundation, data, schema, auth, api, edgeWaf, web, monitoring, delivery. */
  readonly templates: Record<keyof Omit<ParleyStacks, 'config'>, Template>;
}

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** Builds the stage's app with its configuration changed (e.g. a custom domain), as `cdk` would. */
function createAppWith(
  stage: string,
  change: (config: StageConfig) => StageConfig,
  routes: readonly RouteDeclaration[] | undefined,
  context: Record<string, unknown> = {},
): { app: App; stacks: ParleyStacks } {
  const app = new App({ context: { ...cdkJsonContext(), ...context, ...NO_BUNDLING } });
  const stacks = addParleyStage(app, parseStageConfig(change(stageConfig(stage))), { routes });
  addNagChecks(app);
  return { app, stacks };
}

/**
 * Synthesizes one stage as `cdk synth` does (cdk.json feature flags, cdk-nag on: an
 * unacknowledged finding throws here), but without running esbuild, which the assertions do
 * not need. `web` replaces the stage's web configuration, `change` any other part.
 * Call in beforeAll, once per stage a test file needs: synth takes seconds.
 */
export function synthesizeStage(
  stage: string,
  options: {
    routes?: readonly RouteDeclaration[];
    /** The stage's `web` settings changed (the rest of them kept). */
    web?: Partial<StageConfig['web']>;
    /** Changes the stage's configuration otherwise (validated as stages.ts validates it). */
    change?: (config: StageConfig) => StageConfig;
    /** Context as `cdk -c key=value` passes it, e.g. `{ edgeAclReference: 'both' }`. */
    context?: Record<string, unknown>;
  } = {},
): SynthesizedStage {
  const { web, change, context = {} } = options;
  const { app, stacks } =
    web || change
      ? createAppWith(
          stage,
          (c) => (change ?? ((x: StageConfig) => x))(web ? { ...c, web: { ...c.web, ...web } } : c),
          options.routes,
          context,
        )
      : createParleyApp({ stage, routes: options.routes, context: { ...context, ...NO_BUNDLING } });
  const assembly = app.synth();
  const template = (name: string) => Template.fromJSON(assembly.getStackByName(name).template);
  const names = [
    'foundation',
    'data',
    'schema',
    'auth',
    'api',
    'edgeWaf',
    'web',
    'monitoring',
    'delivery',
  ] as const;
  const byName = allStacks(stacks);
  const templates = Object.fromEntries(
    names.map((n, i) => [n, template(byName[i]?.stackName ?? '')]),
  ) as SynthesizedStage['templates'];
  return { stacks, templates };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>;

/** All resources of the given type across the stage's templates. */
export function resourcesOfType(
  stage: SynthesizedStage,
  type: string,
): { stack: string; id: string; props: Record<string, unknown>; resource: Resources[string] }[] {
  return Object.entries(stage.templates).flatMap(([stack, t]) =>
    Object.entries(t.toJSON().Resources as Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ stack, id, props: r.Properties ?? {}, resource: r })),
  );
}

/**
 * Our functions across the stage (the API groups, the migrator and the Cognito triggers): Node.js
 * functions with an environment, not CDK's own providers.
 */
export function ourFunctions(stage: SynthesizedStage): ReturnType<typeof resourcesOfType> {
  return resourcesOfType(stage, 'AWS::Lambda::Function').filter(
    (f) => String(f.props.Runtime).startsWith('nodejs') && f.props.Environment,
  );
}

/** Plausible values for the parts of a function's environment that are CloudFormation tokens. */
export const PLAUSIBLE_ENV: Readonly<Record<string, string>> = {
  DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley-dev',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db-AbCdEf',
  OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-openai-AbCdEf',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123xyz',
  COGNITO_CLIENT_IDS: '1example23456789,2example23456789',
  CACHE_ENDPOINT: 'parley-dev-abc123.serverless.euw1.cache.amazonaws.com:6379',
  CACHE_NAME: 'parley-dev',
  CACHE_USER: 'parley-app-dev',
  OAUTH_TOKEN_URL: 'https://parley-dev-123456789012.auth.eu-west-1.amazoncognito.com/oauth2/token',
};

/** A function's environment as Lambda would see it: tokens replaced by plausible values. */
export function resolvedEnvironment(
  variables: Record<string, unknown>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const values: Record<string, string> = { ...PLAUSIBLE_ENV, ...overrides };
  return Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : (values[k] ?? `<unresolved ${k}>`),
    ]),
  );
}

type PolicyDocument = { Statement: { Action: string | string[]; Resource: unknown }[] };

/**
 * The actions of `service` (e.g. `cognito-idp`) each function of a template may call, sorted, by
 * function name (every function with a fixed name, whether it has any or not), and the resources
 * its statements name: from the policies attached to the function's role and the role's own.
 */
export function serviceActionsByFunction(
  template: Template,
  service: string,
): Record<string, { actions: string[]; resources: unknown[] }> {
  const json = template.toJSON() as { Resources: Resources };
  const resources = Object.entries(json.Resources);
  const documentsOf = (roleId: string): PolicyDocument[] => [
    ...resources
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties?.Roles ?? []).includes(`{"Ref":"${roleId}"}`),
      )
      .map(([, r]) => r.Properties?.PolicyDocument as PolicyDocument),
    ...((json.Resources[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).map(
      (p) => p.PolicyDocument,
    ),
  ];
  const byFunction: Record<string, { actions: string[]; resources: unknown[] }> = {};
  for (const [, fn] of resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
    const name = fn.Properties?.FunctionName;
    const role = (fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
      'Fn::GetAtt'
    ]?.[0];
    if (typeof name !== 'string' || !role) continue;
    const entry = { actions: [] as string[], resources: [] as unknown[] };
    for (const statement of documentsOf(role).flatMap((d) => d.Statement)) {
      const actions = [statement.Action].flat().filter((a) => a.startsWith(`${service}:`));
      if (actions.length === 0) continue;
      entry.actions.push(...actions);
      entry.resources.push(...[statement.Resource].flat());
    }
    entry.actions.sort();
    byFunction[name] = entry;
  }
  return byFunction;
}
