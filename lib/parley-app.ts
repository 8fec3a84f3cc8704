import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  App,
  Aspects,
  CfnResource,
  type Environment,
  type IAspect,
  PermissionsBoundary,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { routes as defaultRoutes, type RouteDeclaration } from '#api/index';
import { acknowledge } from './config/nag-acknowledgements';
import { REPO_ROOT } from './constructs/app-function';
import { declareProviderLogGroups } from './constructs/provider-log-groups';
import { type StageConfig, stageConfig } from './config/stages';
import { ACCOUNT_STACK_NAME, AccountStack } from './stacks/account-stack';
import { ApiStack } from './stacks/api-stack';
import { AuthStack } from './stacks/auth-stack';
import { DataStack } from './stacks/data-stack';
import { DeliveryStack } from './stacks/delivery-stack';
import { type EdgeAclReference, EdgeWafStack } from './stacks/edge-waf-stack';
import { FoundationStack } from './stacks/foundation-stack';
import { MonitoringStack, physicalName } from './stacks/monitoring-stack';
import { SchemaStack } from './stacks/schema-stack';
import { WebStack } from './stacks/web-stack';

/** The customer-managed policy every Parley role is bounded by (docs/deployment.md, step 2). */
export const PERMISSIONS_BOUNDARY_NAME = 'parley-permissions-boundary';

/**
 * CDK context key for the first of the two deploys that take a stage deployed by an earlier
 * release off CDK's cross-region export writer and reader: `-c edgeAclReference=both`
 * (docs/deployment.md, "Stages deployed before Fn::GetStackOutput"). Left out: the default.
 */
export const EDGE_ACL_REFERENCE_CONTEXT = 'edgeAclReference';

/**
 * How the edge ACL's ARN reaches the web stack, from the app's context: `both` under
 * `-c edgeAclReference=both`, `weak` without it. Any other value fails synthesis: a mistyped
 * switch must not deploy the default (which removes the writer) when the operator meant `both`.
 */
export function edgeAclReference(app: App): EdgeAclReference {
  const value: unknown = app.node.tryGetContext(EDGE_ACL_REFERENCE_CONTEXT);
  if (value === undefined) return 'weak';
  if (value === 'both') return 'both';
  throw new Error(
    `Invalid context ${EDGE_ACL_REFERENCE_CONTEXT}=${JSON.stringify(value)}: the only value is "both", ` +
      "for the first deploy of a stage that still has CDK's cross-region export writer and reader " +
      '(docs/deployment.md); leave it out otherwise',
  );
}

export interface ParleyStacks {
  readonly config: StageConfig;
  readonly foundation: FoundationStack;
  readonly data: DataStack;
  readonly schema: SchemaStack;
  readonly auth: AuthStack;
  readonly api: ApiStack;
  readonly edgeWaf: EdgeWafStack;
  readonly web: WebStack;
  readonly monitoring: MonitoringStack;
  readonly delivery: DeliveryStack;
}

export interface AddParleyOptions {
  /** The route table; tests add synthetic routes. @default every route of functions/api/index.ts */
  readonly routes?: readonly RouteDeclaration[];
  /** @default web/dist */
  readonly webDistDir?: string;
}

/**
 * Adds one stage's stacks to the app. Order of deployment (CloudFormation follows the
 * references): Foundation → Data → Schema (the migrations) → Auth → Api → EdgeWaf (us-east-1)
 * → Web → Monitoring; Delivery is independent (it trusts the account stack's OIDC provider by ARN).
 * Every function that queries the database is in a stack after Schema
 * (test/infra/migration-order.test.ts).
 */
export function addParleyStage(app: App, config: StageConfig, options: AddParleyOptions = {}): ParleyStacks {
  const aclReference = edgeAclReference(app);
  const prefix = `Parley-${config.stage}`;
  const env: Environment = {
    account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region,
  };
  // Every role a stage creates carries the account's Parley permissions boundary (created once,
  // before the bootstrap: docs/deployment.md), so no role can outgrow it whatever its policies say.
  const permissionsBoundary = PermissionsBoundary.fromName(PERMISSIONS_BOUNDARY_NAME);
  // No `crossRegionReferences`: the one value that crosses Regions (the edge ACL's ARN) is read
  // with Fn::GetStackOutput (EdgeWafStack). The property no longer gates CDK's cross-region
  // references (aws-cdk-lib 2.276.0 resolves them with or without it, the transitional `both`
  // included): a new one would bring back the export writer and reader, Lambda functions CDK
  // adds after our constructs (no log group can be declared for them), and fails the infra tests
  // (test/infra/parley-app.test.ts, "cross-region references"), not synthesis.
  const common = {
    env,
    tags: { app: 'parley', stage: config.stage },
    permissionsBoundary,
  };

  const foundation = new FoundationStack(app, `${prefix}-Foundation`, { ...common, config });
  const data = new DataStack(app, `${prefix}-Data`, {
    ...common,
    config,
    opsKey: foundation.opsKey,
    alarmTopic: foundation.alarmTopic,
  });
  // The migrations run here, before any stack whose functions query the database is updated:
  // Cognito calls its triggers unqualified (no alias, no canary), so the Auth stack's update puts
  // their new code live at once, and it must meet the schema it was written for.
  const schema = new SchemaStack(app, `${prefix}-Schema`, {
    ...common,
    config,
    opsKey: foundation.opsKey,
    alarmTopic: foundation.alarmTopic,
    cluster: data.cluster,
    migratorDatabaseSecret: data.databaseSecret,
    applicationSecret: data.applicationSecret,
    grantMigratorDataApi: (grantee) => {
      data.grantDataApi(grantee, data.databaseSecret);
      data.grantSecretRead(grantee, data.applicationSecret);
    },
  });
  const auth = new AuthStack(app, `${prefix}-Auth`, {
    ...common,
    config,
    opsKey: foundation.opsKey,
    alarmTopic: foundation.alarmTopic,
    cluster: data.cluster,
    // The triggers connect as the DML-only application role.
    databaseSecret: data.applicationSecret,
    openAiSecret: data.openAiSecret,
    grantDataApi: (grantee) => data.grantDataApi(grantee),
  });
  const api = new ApiStack(app, `${prefix}-Api`, {
    ...common,
    config,
    routes: options.routes ?? defaultRoutes,
    opsKey: foundation.opsKey,
    alarmTopic: foundation.alarmTopic,
    vpc: data.vpc,
    functionSecurityGroup: data.functionSecurityGroup,
    cluster: data.cluster,
    // The API functions connect as the DML-only application role (the migrator as the master user).
    databaseSecret: data.applicationSecret,
    openAiSecret: data.openAiSecret,
    // Absent with the cache off: the functions then run outside the VPC.
    cache:
      data.cache && data.cacheUser && data.cacheEndpointParameterName !== undefined
        ? {
            endpointParameter: data.cacheEndpointParameterName,
            name: data.cache.serverlessCacheName,
            user: data.cacheUser.userId,
          }
        : undefined,
    grantDataApi: (grantee) => data.grantDataApi(grantee),
    grantSecretRead: (grantee, secret) => data.grantSecretRead(grantee, secret),
    grantCacheConnect: (grantee) => data.grantCacheConnect(grantee),
    userPool: auth.userPool,
    clientIds: [auth.spaClient.userPoolClientId, auth.machineClient.userPoolClientId],
  });
  const afterMigrations = 'its functions query the database: they go live once the migrations have run';
  auth.addStackDependency(schema, afterMigrations);
  api.addStackDependency(schema, afterMigrations);
  const edgeWaf = new EdgeWafStack(app, `${prefix}-EdgeWaf`, {
    ...common,
    env: { account: env.account, region: 'us-east-1' },
    config,
    aclReference,
  });
  const web = new WebStack(app, `${prefix}-Web`, {
    ...common,
    config,
    api: api.api,
    originSecret: api.originSecret,
    originSecretRotation: config.api.originSecretRotation,
    userPoolId: auth.userPool.userPoolId,
    spaClientId: auth.spaClient.userPoolClientId,
    webAclArn: edgeWaf.waf.arn,
    logKey: foundation.opsKey,
    webDistDir: options.webDistDir,
  });
  // What users come for: sending messages (chat) and reading their history (conversations).
  const userFacingFunctions = api.functionAlarms.filter((a) =>
    ['Fn-chat-Alarms', 'Fn-conversations-Alarms'].includes(a.node.id),
  );
  const apiFunctionAlarms = api.functionAlarms.filter((a) => a.node.id.startsWith('Fn-'));
  // Monitoring names what it watches (fixed physical names) instead of importing it, so the Api,
  // Auth and Data stacks export nothing to it and stay free to drop a function or an alarm.
  const monitoring = new MonitoringStack(app, `${prefix}-Monitoring`, {
    ...common,
    config,
    alarmTopic: foundation.alarmTopic,
    apiName: api.api.restApiName,
    functions: [
      ...[...api.functions.entries()].map(([group, fn]) => ({
        label: group,
        functionName: physicalName(fn),
      })),
      { label: 'migrations', functionName: physicalName(schema.migrator) },
      { label: 'retention', functionName: physicalName(api.retention) },
      ...auth.triggerFunctions.map((fn) => ({ label: fn.node.id, functionName: physicalName(fn) })),
      { label: 'sign-in-activity', functionName: physicalName(auth.signInActivityFunction) },
    ],
    userFacingAlarmNames: [
      ...api.apiAlarms.filter((a) => ['Api5xxRate', 'ApiLatencyP99'].includes(a.node.id)),
      ...(userFacingFunctions.length > 0 ? userFacingFunctions : apiFunctionAlarms).map((a) => a.errors),
    ].map(physicalName),
    dataAlarmNames: data.alarms.map(physicalName),
    dbClusterIdentifier: data.clusterIdentifier,
    cacheName: data.cache?.serverlessCacheName,
  });
  // Named resources must exist before the composite alarm and the dashboard refer to them.
  monitoring.addStackDependency(data);
  monitoring.addStackDependency(schema);
  monitoring.addStackDependency(auth);
  monitoring.addStackDependency(api);
  const delivery = new DeliveryStack(app, `${prefix}-Delivery`, {
    env,
    tags: common.tags,
    permissionsBoundary,
    config,
    regions: [...new Set([config.region, 'us-east-1'])],
  });
  // CDK's own provider functions (migration trigger, default security group, bucket auto-delete)
  // get log groups with the stage's retention and the ops key, in the stacks that share its Region.
  for (const stack of [data, schema, auth, api, web]) {
    declareProviderLogGroups(stack, { key: foundation.opsKey, retentionDays: config.logRetentionDays });
  }
  const stacks = { config, foundation, data, schema, auth, api, edgeWaf, web, monitoring, delivery };
  for (const stack of allStacks(stacks)) Aspects.of(stack).add(new BoundFrameworkRoles());
  return stacks;
}

/**
 * The stacks' `permissionsBoundary` reaches the roles of IAM constructs; CDK's framework
 * providers (triggers, bucket auto-delete) declare their roles as plain
 * CloudFormation resources, which get the same boundary here.
 */
class BoundFrameworkRoles implements IAspect {
  visit(node: IConstruct): void {
    if (
      node instanceof CfnResource &&
      node.cfnResourceType === 'AWS::IAM::Role' &&
      !(node instanceof iam.CfnRole)
    ) {
      const stack = Stack.of(node);
      node.addPropertyOverride(
        'PermissionsBoundary',
        stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'policy',
          resourceName: PERMISSIONS_BOUNDARY_NAME,
        }),
      );
    }
  }
}

/**
 * Adds the account-level stack (the GitHub OIDC provider), in the given stage's account and
 * region. It is its own app (`-c account=true`), never part of a stage's `--all`, so
 * `cdk destroy --all -c stage=dev` cannot delete what every stage's delivery relies on.
 */
export function addParleyAccount(app: App, config: StageConfig): AccountStack {
  return new AccountStack(app, ACCOUNT_STACK_NAME, {
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
    tags: { app: 'parley' },
  });
}

/** Runs cdk-nag's AwsSolutions and Serverless packs on synth; any unacknowledged finding fails it. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  // The two acknowledgements whose reasons hold for every resource of the app.
  acknowledge(app, 'lambdaDlq');
  acknowledge(app, 'wildcardResource');
}

export interface CreateAppOptions extends AddParleyOptions {
  readonly stage: string;
  /** @default true */
  readonly nag?: boolean;
  /** Extra context, e.g. `{ 'aws:cdk:bundling-stacks': [] }` to skip esbuild in tests. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
}

/** The context `cdk` reads from cdk.json (feature flags), so tests synthesize what `cdk` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(REPO_ROOT, 'cdk.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

export function createParleyApp(options: CreateAppOptions): { app: App; stacks: ParleyStacks } {
  const app = new App({ context: { ...cdkJsonContext(), ...options.context }, outdir: options.outdir });
  const stacks = addParleyStage(app, stageConfig(options.stage), options);
  if (options.nag ?? true) addNagChecks(app);
  return { app, stacks };
}

export function allStacks(stacks: ParleyStacks): Stack[] {
  return [
    stacks.foundation,
    stacks.data,
    stacks.schema,
    stacks.auth,
    stacks.api,
    stacks.edgeWaf,
    stacks.web,
    stacks.monitoring,
    stacks.delivery,
  ];
}
