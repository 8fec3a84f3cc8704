import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { routes as defaultRoutes, type RouteDeclaration } from '#api/index';
import { acknowledge } from './config/nag-acknowledgements';
import { REPO_ROOT } from './constructs/app-function';
import { type StageConfig, stageConfig } from './config/stages';
import { ApiStack } from './stacks/api-stack';
import { AuthStack } from './stacks/auth-stack';
import { DataStack } from './stacks/data-stack';
import { DeliveryStack } from './stacks/delivery-stack';
import { EdgeWafStack } from './stacks/edge-waf-stack';
import { FoundationStack } from './stacks/foundation-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { WebStack } from './stacks/web-stack';

export interface ParleyStacks {
  readonly config: StageConfig;
  readonly foundation: FoundationStack;
  readonly data: DataStack;
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
 * references): Foundation → Data → Auth → Api (migrations, then functions) → EdgeWaf (us-east-1)
 * → Web → Monitoring; Delivery is independent.
 */
export function addParleyStage(app: App, config: StageConfig, options: AddParleyOptions = {}): ParleyStacks {
  const prefix = `Parley-${config.stage}`;
  const env: Environment = {
    account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region,
  };
  const common = { env, crossRegionReferences: true, tags: { app: 'parley', stage: config.stage } };

  const foundation = new FoundationStack(app, `${prefix}-Foundation`, { ...common, config });
  const data = new DataStack(app, `${prefix}-Data`, {
    ...common,
    config,
    opsKey: foundation.opsKey,
    alarmTopic: foundation.alarmTopic,
  });
  const auth = new AuthStack(app, `${prefix}-Auth`, {
    ...common,
    config,
    opsKey: foundation.opsKey,
    alarmTopic: foundation.alarmTopic,
    cluster: data.cluster,
    databaseSecret: data.databaseSecret,
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
    databaseSecret: data.databaseSecret,
    openAiSecret: data.openAiSecret,
    cacheEndpoint: `${data.cache.attrEndpointAddress}:${data.cache.attrEndpointPort}`,
    cacheName: data.cache.serverlessCacheName,
    cacheUser: data.cacheUser.userId,
    grantDataApi: (grantee) => data.grantDataApi(grantee),
    grantSecretRead: (grantee, secret) => data.grantSecretRead(grantee, secret),
    grantCacheConnect: (grantee) => data.grantCacheConnect(grantee),
    userPool: auth.userPool,
    clientIds: [auth.spaClient.userPoolClientId, auth.machineClient.userPoolClientId],
  });
  const edgeWaf = new EdgeWafStack(app, `${prefix}-EdgeWaf`, {
    ...common,
    env: { account: env.account, region: 'us-east-1' },
    config,
  });
  const web = new WebStack(app, `${prefix}-Web`, {
    ...common,
    config,
    api: api.api,
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
  const monitoring = new MonitoringStack(app, `${prefix}-Monitoring`, {
    ...common,
    config,
    alarmTopic: foundation.alarmTopic,
    api: api.api,
    functions: [
      ...[...api.aliases.entries()].map(([name, fn]) => ({ name, fn })),
      { name: 'migrations', fn: api.migrator },
      ...auth.triggerFunctions.map((fn, i) => ({ name: `trigger-${i}`, fn })),
    ],
    userFacingAlarms: [
      ...api.apiAlarms.filter((a) => ['Api5xxRate', 'ApiLatencyP99'].includes(a.node.id)),
      ...(userFacingFunctions.length > 0 ? userFacingFunctions : apiFunctionAlarms).map((a) => a.errors),
    ],
    dataAlarms: data.alarms,
    dbClusterIdentifier: data.cluster.clusterIdentifier,
    cacheName: data.cache.serverlessCacheName,
  });
  const delivery = new DeliveryStack(app, `${prefix}-Delivery`, {
    env,
    tags: common.tags,
    config,
    regions: [...new Set([config.region, 'us-east-1'])],
  });
  return { config, foundation, data, auth, api, edgeWaf, web, monitoring, delivery };
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
    stacks.auth,
    stacks.api,
    stacks.edgeWaf,
    stacks.web,
    stacks.monitoring,
    stacks.delivery,
  ];
}
