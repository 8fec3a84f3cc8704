import { CfnOutput, Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { HandlerGroup, RouteDeclaration } from '#api/index';
import { acknowledge } from '../config/nag-acknowledgements';
import type { StageConfig } from '../config/stages';
import { AppFunction } from '../constructs/app-function';
import { FunctionAlarms } from '../constructs/function-alarms';
import { CUSTOM_NAMESPACE, functionEnvironment, webOrigin } from '../constructs/function-environment';
import { ParleyWebAcl } from '../constructs/web-acl';
import { pagingAlarm } from '../constructs/paging-alarm';
import { addProblemResponses } from '../constructs/problem-responses';
import { tokenUrl } from './auth-stack';
import { DB_NAME } from './data-stack';

/** The header CloudFront adds to every request to the API; the API's ACL refuses others. */
export const ORIGIN_HEADER = 'X-Origin-Verify';
/** API Gateway ends a buffered integration after at most 29 s (its default and our setting). */
export const BUFFERED_INTEGRATION_TIMEOUT = Duration.seconds(29);
/** Our streamed integrations' timeout (streamed responses may last up to 15 minutes). */
export const STREAMING_INTEGRATION_TIMEOUT = Duration.minutes(5);
/** Lambda keeps this much of the account's concurrency for functions without a reservation. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/**
 * Counts of the API's answers that are not streamed, all and those of 10 s or more, from its access
 * logs (namespace `Parley`, dimension `Stage`): the latency alarm's share. API Gateway's own
 * `Latency` counts a streamed answer to its last byte (a chat reply, a download), so its p99 would
 * sit above any line for as long as people chat.
 */
/**
 * The throttle of each route that calls the model (send and regenerate): a quarter of the stage's,
 * shared by every caller of the route, so a burst of chat cannot take the whole stage's rate.
 * docs/capacity.md gives its value and the users it is met at (test/docs/capacity.test.ts).
 */
export function modelRouteThrottle(api: {
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
}): {
  rateLimit: number;
  burstLimit: number;
} {
  return {
    rateLimit: Math.max(1, Math.floor(api.throttleRateLimit / 4)),
    burstLimit: Math.max(1, Math.floor(api.throttleBurstLimit / 4)),
  };
}

export const BUFFERED_RESPONSES_METRIC = 'ApiBufferedResponses';
export const SLOW_BUFFERED_RESPONSES_METRIC = 'ApiSlowBufferedResponses';
/** A latency of 10 s or more, as the access log writes it (a string of 5 to 9 digits, in ms). */
export const SLOW_LATENCY_PATTERN = '^[0-9]{5,9}$';

/**
 * The access log's fields: API Gateway `$context` variables, each written as a JSON string.
 * API Gateway documents no escaping of the values it writes there, so none is text a client
 * chooses: a `"` or `\` in a User-Agent or a path would end its string, make the line invalid
 * JSON (and drop it from the metric filters) or add fields to it (a second `sub`). So no
 * `$context.identity.userAgent` and no `$context.path`: `resource` names the route, and the
 * request id leads to the function's lines (docs/security.md, access logs).
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  stage: '$context.stage',
  ip: '$context.identity.sourceIp',
  sub: '$context.authorizer.claims.sub',
  clientId: '$context.authorizer.claims.client_id',
  method: '$context.httpMethod',
  resource: '$context.resourcePath',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  // BUFFERED or STREAMED; "-" where no integration answered (a refusal by the authorizer).
  transferMode: '$context.integration.responseTransferMode',
  responseLength: '$context.responseLength',
  wafStatus: '$context.waf.status',
  // Not `messageString`: that one comes quoted already, and inside these quotes would make every
  // line invalid JSON. API Gateway's messages ("Unauthorized", "Missing Authentication Token")
  // hold no quotes.
  error: '$context.error.message',
  requestTime: '$context.requestTimeEpoch',
} as const;

/** The signed-in user's own scope: present in every access token from a user sign-in. */
export const USER_TOKEN_SCOPE = 'aws.cognito.signin.user.admin';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly routes: readonly RouteDeclaration[];
  readonly opsKey: kms.IKey;
  readonly alarmTopic: sns.ITopic;
  readonly vpc: ec2.IVpc;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  readonly cluster: rds.DatabaseCluster;
  /** The application role's secret (DML only): the API functions connect with it. */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly openAiSecret: secretsmanager.ISecret;
  /**
   * The Valkey cache: its SSM parameter holding `host:port` (read at deploy, not exported), name
   * and IAM user. Absent with the cache off: the functions then run outside the VPC.
   */
  readonly cache?: { readonly endpointParameter: string; readonly name: string; readonly user: string };
  /** Grants Data API access (DataStack.grantDataApi). */
  readonly grantDataApi: (grantee: iam.IGrantable) => void;
  /** Grants read access to a secret encrypted with the data key. */
  readonly grantSecretRead: (grantee: iam.IGrantable, secret: secretsmanager.ISecret) => void;
  /** Grants elasticache:Connect on the cache and its IAM user. */
  readonly grantCacheConnect: (grantee: iam.IGrantable) => void;
  readonly userPool: cognito.IUserPool;
  readonly clientIds: readonly string[];
}

interface GroupSettings {
  /**
   * At most the integration's timeout: 29 s for buffered groups, so a request API Gateway gave
   * up on is not still running; the chat function gets a little longer than its stream, to store
   * a reply's end.
   */
  readonly timeout: Duration;
  readonly p99: Duration;
  readonly memorySize: number;
  /** Calls the model provider (needs the OpenAI secret). */
  readonly llm: boolean;
  /** The Cognito admin APIs it calls, on the stage's user pool only. */
  readonly cognitoActions: readonly string[];
  /**
   * The share of `api.reservedConcurrency` this function reserves, and is capped at (rounded up):
   * 1 for the functions that query Aurora on most requests (the reservation protects the database
   * and keeps each function's capacity its own), 0 for none.
   */
  readonly reservedShare: number;
}

const GROUP_SETTINGS: Record<HandlerGroup, GroupSettings> = {
  // Readiness says whether the model is configured from OPENAI_SECRET_ARN being set; it never
  // reads the secret, so it gets no grant.
  health: {
    timeout: Duration.seconds(10),
    p99: Duration.seconds(3),
    memorySize: 512,
    llm: false,
    cognitoActions: [],
    reservedShare: 0,
  },
  // `/me` reads the database; signing oneself out everywhere revokes one's refresh tokens.
  users: {
    timeout: Duration.seconds(15),
    p99: Duration.seconds(5),
    memorySize: 1024,
    llm: false,
    cognitoActions: ['cognito-idp:AdminUserGlobalSignOut'],
    reservedShare: 1,
  },
  conversations: {
    timeout: Duration.seconds(15),
    p99: Duration.seconds(5),
    memorySize: 1024,
    llm: false,
    cognitoActions: [],
    reservedShare: 1,
  },
  // Streamed replies: the integration allows 5 minutes, the function a little more so it can
  // store a reply's end even when the stream to the client was cut at the limit. A reply may take
  // as long as the model's call is allowed (OPENAI_TOTAL_TIMEOUT_MS, 2 minutes): a long answer is
  // no fault, so the duration line is there, where replies start being cut.
  chat: {
    timeout: Duration.minutes(5).plus(Duration.seconds(30)),
    p99: Duration.minutes(2),
    memorySize: 1024,
    llm: true,
    cognitoActions: [],
    reservedShare: 1,
  },
  // Downloads, streamed for as long as the integration allows, in a function of their own: a long
  // export holds neither the chat function's concurrency nor its duration alarm (nor a canary's
  // rollback), and runs without the model's key. Exports are rare, so a quarter of a reservation.
  exports: {
    timeout: STREAMING_INTEGRATION_TIMEOUT,
    p99: Duration.minutes(2),
    memorySize: 1024,
    llm: false,
    cognitoActions: [],
    reservedShare: 0.25,
  },
  // Admin changes call Cognito inside a database transaction (and undo it when the commit fails):
  // exactly what functions/admin/adapters/cognito-identity-provider.ts calls. Parley never disables
  // a user in Cognito (status lives in `users`), resets a password or lists users there.
  admin: {
    timeout: Duration.seconds(15),
    p99: Duration.seconds(5),
    memorySize: 1024,
    llm: false,
    cognitoActions: [
      // Invitations, and resending one (MessageAction RESEND).
      'cognito-idp:AdminCreateUser',
      // Undoes an invitation whose database transaction did not commit.
      'cognito-idp:AdminDeleteUser',
      // An invitation Cognito kept but nobody claimed: its state and groups.
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminListGroupsForUser',
      'cognito-idp:AdminEnableUser',
      'cognito-idp:AdminUserGlobalSignOut',
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminRemoveUserFromGroup',
      'cognito-idp:AdminSetUserMFAPreference',
    ],
    reservedShare: 1,
  },
};

/**
 * The retention run's own report, as the function publishes it with Powertools (service
 * `retention`, and the stage): 1 when a run stopped at its time limit with work left, 0 otherwise.
 */
export const RETENTION_INCOMPLETE = (stage: string) =>
  ({ metricName: 'RetentionIncomplete', dimensionsMap: { service: 'retention', Stage: stage } }) as const;

/**
 * The missed-run alarm looks at 6-hour periods, 5 of them: a daily run leaves at most 4 without
 * an invocation. CloudWatch allows periods × evaluation periods up to 7 days for periods of an
 * hour or more.
 */
export const RETENTION_HEARTBEAT_PERIOD = Duration.hours(6);
export const RETENTION_HEARTBEAT_PERIODS = 5;

/**
 * The REST API, built from the route table: one function per handler group behind a `live`
 * alias deployed by CodeDeploy (after the Schema stack's migrations), the daily retention run, the Cognito
 * authorizer, request validation, throttling, JSON access logs, compression, response streaming,
 * WAF and alarms.
 */
export class ApiStack extends Stack {
  readonly api: apigw.RestApi;
  readonly functions = new Map<HandlerGroup, AppFunction>();
  readonly aliases = new Map<HandlerGroup, lambda.Alias>();
  readonly functionAlarms: FunctionAlarms[] = [];
  readonly apiAlarms: cloudwatch.Alarm[] = [];
  /** The daily retention run (deleted and expired conversations). */
  readonly retention: AppFunction;
  readonly waf: ParleyWebAcl;
  /**
   * The value CloudFront sends in ORIGIN_HEADER, and the one it sent before the last rotation
   * (the API's ACL accepts both, so a rotation never refuses requests; docs/security.md).
   */
  readonly originSecret: secretsmanager.Secret;
  readonly previousOriginSecret: secretsmanager.Secret;
  /** API Gateway's execution (error) log group, created here so it has a retention. */
  readonly executionLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Declared up front so grants on the data stack's key land in our role policies, not in the
    // key policy (which would make the data stack depend on this one).
    this.addStackDependency(Stack.of(props.cluster));
    const baseEnvironment = {
      stage: config.stage,
      dbClusterArn: props.cluster.clusterArn,
      dbSecretArn: props.databaseSecret.secretArn,
      dbName: DB_NAME,
      userPoolId: props.userPool.userPoolId,
      clientIds: props.clientIds,
      openAiSecretArn: props.openAiSecret.secretArn,
      openAiModel: config.openaiModel,
      openAiModels: config.openaiModels,
      chatQuotas: config.chatQuotas,
      webOrigin: webOrigin(config.web.domainName),
      logLevel: config.logLevel,
    };

    const cache = props.cache;
    const cacheEndpoint = cache && ssm.StringParameter.valueForStringParameter(this, cache.endpointParameter);

    // --- Retention: a daily run erases what the stage's policy says -----------------------------
    this.retention = new AppFunction(this, 'Retention', {
      functionName: `parley-${config.stage}-retention`,
      entry: 'functions/conversations/retention/handler.ts',
      description: `Parley ${config.stage} retention: erases deleted and expired conversations`,
      logKey: props.opsKey,
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      runtimeSourceMaps: config.runtimeSourceMaps,
      environment: functionEnvironment({
        ...baseEnvironment,
        serviceName: 'retention',
        retention: config.retention,
        // Its sweep charges abandoned replies by the prompt their call was sent, instructions included.
        ...(config.chatSystemPrompt ? { chatSystemPrompt: config.chatSystemPrompt } : {}),
      }),
      // Batches until 30 s are left; what is not done waits for the next day.
      timeout: Duration.minutes(5),
      memorySize: 512,
    });
    props.grantDataApi(this.retention);
    const retentionLive = new lambda.Alias(this, 'RetentionLive', {
      aliasName: 'live',
      version: this.retention.currentVersion,
    });
    // EventBridge Scheduler (AWS's service for invoking a target on a schedule) calls it once a day
    // at a quiet hour, UTC. A failed run is redone by the next one: the work is idempotent.
    new scheduler.Schedule(this, 'RetentionSchedule', {
      scheduleName: `parley-${config.stage}-retention`,
      description: 'Runs the retention function once a day',
      schedule: scheduler.ScheduleExpression.cron({ minute: '17', hour: '3' }),
      // Through an alias: the scheduler's role may then invoke exactly that ARN (for the function
      // itself CDK grants `<function ARN>:*` as well, every version and alias).
      target: new schedulerTargets.LambdaInvoke(retentionLive, {
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      }),
    });
    // A day and more without a run (the schedule disabled, the function unreachable): the
    // policy is then not applied, which no error alarm would show.
    this.apiAlarms.push(
      pagingAlarm(this, 'RetentionMissed', props.alarmTopic, {
        alarmName: `parley-${config.stage}-retention-missed`,
        alarmDescription: 'No retention run for 30 hours: deleted conversations are kept past the policy',
        metric: this.retention.metricInvocations({ period: RETENTION_HEARTBEAT_PERIOD, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: RETENTION_HEARTBEAT_PERIODS,
        datapointsToAlarm: RETENTION_HEARTBEAT_PERIODS,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No invocation publishes no data point: missing is what this alarm is for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      // Runs that each stop at their time limit (RetentionIncomplete: 1) for three days in a row:
      // the backlog is not shrinking, so conversations outlive the policy although every run
      // succeeds. A day without a run is retention-missed's business (missing data: fine).
      pagingAlarm(this, 'RetentionBehind', props.alarmTopic, {
        alarmName: `parley-${config.stage}-retention-behind`,
        alarmDescription:
          'Three daily retention runs in a row stopped before the end of their work: conversations are kept past the policy. Runbook: docs/runbook.md#alarms',
        metric: new cloudwatch.Metric({
          namespace: CUSTOM_NAMESPACE,
          ...RETENTION_INCOMPLETE(config.stage),
          statistic: 'Maximum',
          period: Duration.days(1),
        }),
        threshold: 1,
        datapointsToAlarm: 3,
      }),
    );
    this.functionAlarms.push(
      new FunctionAlarms(this, 'RetentionAlarms', {
        target: this.retention,
        name: 'retention',
        stage: config.stage,
        topic: props.alarmTopic,
        p99Threshold: Duration.minutes(4),
      }),
    );

    // --- Functions, aliases, CodeDeploy --------------------------------------------------------
    const groups = [...new Set(props.routes.map((r) => r.group))];
    checkReservedConcurrency(config, groups);
    for (const group of groups) {
      const buffered = props.routes.some((r) => r.group === group && !r.streaming);
      if (buffered && GROUP_SETTINGS[group].timeout.toSeconds() > BUFFERED_INTEGRATION_TIMEOUT.toSeconds()) {
        throw new Error(
          `The ${group} function's timeout exceeds the ${BUFFERED_INTEGRATION_TIMEOUT.toSeconds()} s of its buffered integration`,
        );
      }
    }
    const deploymentConfig = config.canaryDeployments
      ? codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES
      : codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
    const application = new codedeploy.LambdaApplication(this, 'DeployApplication', {
      applicationName: `parley-${config.stage}-api`,
    });
    for (const group of groups) {
      const settings = GROUP_SETTINGS[group];
      const fn = new AppFunction(this, `Fn-${group}`, {
        functionName: `parley-${config.stage}-api-${group}`,
        entry: `functions/${group}/lambda.ts`,
        description: `Parley ${config.stage} API: ${group}`,
        logKey: props.opsKey,
        logRetentionDays: config.logRetentionDays,
        logLevel: config.logLevel,
        runtimeSourceMaps: config.runtimeSourceMaps,
        environment: functionEnvironment({
          ...baseEnvironment,
          // The function that calls the model sends the organisation's instructions; the admin
          // function's erasure charges a person's abandoned replies by the prompt they were sent.
          ...((settings.llm || group === 'admin') && config.chatSystemPrompt
            ? { chatSystemPrompt: config.chatSystemPrompt }
            : {}),
          // The function that calls the model asks it for at most this many tokens a reply.
          ...(settings.llm && config.chatMaxReplyTokens !== undefined
            ? { chatMaxReplyTokens: config.chatMaxReplyTokens }
            : {}),
          // The function that serves the OpenAPI document names the stage's token endpoint in it.
          ...(group === 'health' ? { oauthTokenUrl: tokenUrl(config.stage) } : {}),
          serviceName: group,
          cacheEndpoint,
          cacheName: cache?.name,
          cacheUser: cache?.user,
        }),
        timeout: settings.timeout,
        memorySize: settings.memorySize,
        // In the VPC only to reach the cache; Aurora is reached through the Data API.
        ...(cache && {
          vpc: props.vpc,
          vpcSubnets: { subnetGroupName: 'app' },
          securityGroups: [props.functionSecurityGroup],
        }),
        reservedConcurrentExecutions: reservedFor(settings, config.api.reservedConcurrency),
      });
      props.grantDataApi(fn);
      if (cache) props.grantCacheConnect(fn);
      if (settings.llm) props.grantSecretRead(fn, props.openAiSecret);
      if (settings.cognitoActions.length > 0) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: [...settings.cognitoActions],
            resources: [props.userPool.userPoolArn],
          }),
        );
      }
      const alias = new lambda.Alias(this, `Fn-${group}-Live`, {
        aliasName: 'live',
        version: fn.currentVersion,
      });
      const alarms = new FunctionAlarms(this, `Fn-${group}-Alarms`, {
        target: alias,
        name: `api-${group}`,
        stage: config.stage,
        topic: props.alarmTopic,
        p99Threshold: settings.p99,
      });
      // Our own role, immutable so the construct cannot attach AWSCodeDeployRoleForLambdaLimited
      // (which grants lambda:UpdateAlias on every function): this one shifts this alias only.
      const deployRole = new iam.Role(this, `Fn-${group}-DeployRole`, {
        assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
        description: `CodeDeploy shifts traffic of the ${group} alias`,
      });
      deployRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
          resources: [fn.functionArn, alias.functionArn],
        }),
      );
      deployRole.addToPrincipalPolicy(
        // DescribeAlarms has no resource-level permissions (see the IAM5 acknowledgement).
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
      );
      new codedeploy.LambdaDeploymentGroup(this, `Fn-${group}-Deployment`, {
        application,
        role: deployRole.withoutPolicyUpdates(),
        alias,
        deploymentConfig,
        alarms: alarms.all,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      this.functions.set(group, fn);
      this.aliases.set(group, alias);
      this.functionAlarms.push(alarms);
    }

    // --- REST API ------------------------------------------------------------------------------
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.opsKey,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The routes that call the model (the chat group's): a tighter stage-wide ceiling each.
    const modelRoutes = props.routes.filter((r) => r.group === 'chat');
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `parley-${config.stage}`,
      description: `Parley ${config.stage} API (reached through CloudFront at /api)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Gzip buffered responses above 1 KB when the client accepts it; streamed responses pass through.
      minCompressionSize: Size.kibibytes(1),
      // The account-level role API Gateway uses to write execution (error) logs.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: config.stage,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: config.api.throttleRateLimit,
        throttlingBurstLimit: config.api.throttleBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        methodOptions:
          modelRoutes.length > 0
            ? Object.fromEntries(
                modelRoutes.map((r) => {
                  const { rateLimit, burstLimit } = modelRouteThrottle(config.api);
                  return [
                    `${r.path}/${r.method}`,
                    { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit },
                  ];
                }),
              )
            : undefined,
      },
      // CloudFront's origin is the execute-api host name, so it stays enabled; the ACL below
      // refuses requests that did not come through CloudFront (machine clients use it too).
      disableExecuteApiEndpoint: false,
    });
    // API Gateway would create this group itself, without retention or key, at the first error.
    this.executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${config.stage}`,
      encryptionKey: props.opsKey,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Exists before the stage logs anything into it.
    this.api.deploymentStage.node.addDependency(this.executionLogs);
    addProblemResponses({ api: this.api });
    const authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      authorizerName: 'cognito',
      resultsCacheTtl: Duration.minutes(5),
    });
    const validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integrations = new Map<string, apigw.LambdaIntegration>();
    const integrationFor = (route: RouteDeclaration) => {
      const mode = route.streaming ? apigw.ResponseTransferMode.STREAM : apigw.ResponseTransferMode.BUFFERED;
      const key = `${route.group}:${mode}`;
      let integration = integrations.get(key);
      if (!integration) {
        const alias = this.aliases.get(route.group);
        if (!alias) throw new Error(`No function for handler group ${route.group}`);
        integration = new apigw.LambdaIntegration(alias, {
          proxy: true,
          // One API-wide invoke permission per alias instead of two per method (policy size limit).
          scopePermissionToMethod: false,
          responseTransferMode: mode,
          // Streams may outlive the 29 s buffered limit (streamed responses allow up to 15 min).
          timeout: route.streaming ? STREAMING_INTEGRATION_TIMEOUT : BUFFERED_INTEGRATION_TIMEOUT,
        });
        integrations.set(key, integration);
      }
      return integration;
    };

    for (const route of props.routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      const requestParameters = Object.fromEntries(pathParams.map((p) => [`method.request.path.${p}`, true]));
      const common: apigw.MethodOptions = {
        operationName: route.id,
        requestValidator: validator,
        requestParameters,
      };
      if (route.access === 'public') {
        const method = resource.addMethod(route.method, integrationFor(route), {
          ...common,
          authorizationType: apigw.AuthorizationType.NONE,
        });
        acknowledge(method, 'publicRoutesNoAuthorizer');
        acknowledge(method, 'publicRoutesNoCognito');
      } else {
        resource.addMethod(route.method, integrationFor(route), {
          ...common,
          authorizer,
          authorizationType: apigw.AuthorizationType.COGNITO,
          // With scopes, API Gateway accepts only access tokens holding one of them: user sign-ins
          // carry aws.cognito.signin.user.admin, machine clients carry the route's parley/* scopes.
          // This also refuses ID tokens (they have no scope claim). Roles are checked in the handler.
          authorizationScopes: [USER_TOKEN_SCOPE, ...(route.scopes ?? [])],
        });
      }
    }

    // --- WAF ----------------------------------------------------------------------------------
    const originSecret = (id: string, description: string) => {
      const secret = new secretsmanager.Secret(this, id, {
        description,
        // Header-safe characters only; 48 of them are far beyond guessing.
        generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
        removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      acknowledge(secret, 'openAiSecretRotation');
      return secret;
    };
    this.originSecret = originSecret(
      'OriginSecret',
      `Parley ${config.stage}: the ${ORIGIN_HEADER} value CloudFront sends to the API`,
    );
    this.previousOriginSecret = originSecret(
      'PreviousOriginSecret',
      `Parley ${config.stage}: the ${ORIGIN_HEADER} value before the last rotation (still accepted)`,
    );
    this.waf = new ParleyWebAcl(this, 'Waf', {
      logging: {
        retentionDays: config.logRetentionDays,
        retain: config.retainData,
        key: props.opsKey,
        // Search words and admin filters travel in `q`; X-Forwarded-For holds the viewer's address.
        redactQueryString: true,
        redactedHeaders: ['x-forwarded-for'],
      },
      scope: 'REGIONAL',
      name: `parley-${config.stage}-api`,
      description: `Parley ${config.stage} API, origin secret rotation ${config.api.originSecretRotation}`,
      requiredHeader: {
        name: ORIGIN_HEADER,
        values: [this.originSecret, this.previousOriginSecret].map((s) => s.secretValue.unsafeUnwrap()),
      },
      // Only CloudFront gets past the header rule, and its ACL limits each viewer's address. Here
      // the connecting address is an edge server's, shared by its viewers: a looser ceiling per
      // address (never X-Forwarded-For, which any caller can write).
      rateLimitPer5Min: config.api.wafRateLimitPer5Min * EDGE_FAN_IN,
      // CloudFront's addresses are in the hosting-provider list; the edge ACL decides on viewers.
      hostingProviders: 'count',
      // What people write (messages, titles, instructions, search words) is not an attack.
      writtenText: true,
      messageRoute: {
        rateLimitPer5Min: config.api.wafMessageRateLimitPer5Min * EDGE_FAN_IN,
        maxBodyBytes: config.api.maxMessageBodyBytes,
      },
    });
    this.waf.associate('ApiAssociation', this.api.deploymentStage.stageArn);
    new CfnOutput(this, 'OriginSecretArn', {
      description: `The ${ORIGIN_HEADER} value CloudFront sends (rotation: docs/security.md)`,
      value: this.originSecret.secretArn,
    });
    new CfnOutput(this, 'PreviousOriginSecretArn', {
      description: `The ${ORIGIN_HEADER} value the API still accepts from before the last rotation`,
      value: this.previousOriginSecret.secretArn,
    });

    // --- API alarms ---------------------------------------------------------------------------
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = pagingAlarm(this, name, props.alarmTopic, {
        alarmName: `parley-${config.stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
      });
      this.apiAlarms.push(a);
      return a;
    };
    const period = Duration.minutes(5);
    const count = this.api.metricCount({ period, statistic: 'Sum' });
    alarm(
      'Api5xxRate',
      new cloudwatch.MathExpression({
        expression: 'IF(requests >= 20, 100 * errors / requests, 0)',
        usingMetrics: { errors: this.api.metricServerError({ period, statistic: 'Sum' }), requests: count },
        period,
        label: '5XX %',
      }),
      5,
      '5% or more of API requests fail with 5XX.',
    );
    alarm(
      'Api4xxSpike',
      new cloudwatch.MathExpression({
        expression: 'IF(requests >= 50, 100 * errors / requests, 0)',
        usingMetrics: { errors: this.api.metricClientError({ period, statistic: 'Sum' }), requests: count },
        period,
        label: '4XX %',
      }),
      30,
      '30% or more of API requests are refused (4XX): a broken client release, or probing.',
    );
    // API Gateway's Latency counts a streamed answer to its end (a chat reply, a download): the
    // alarm counts, from the access logs, the other answers and those that took 10 s or more. The
    // log writes every value as a string, so "10 s or more" is a pattern of five digits or more.
    const notStreamed = logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.stage', '=', config.stage),
      logs.FilterPattern.stringValue('$.transferMode', '!=', 'STREAMED'),
    );
    const counted = (id: string, metricName: string, pattern: logs.IFilterPattern) =>
      new logs.MetricFilter(this, id, {
        logGroup: accessLogs,
        filterPattern: pattern,
        metricNamespace: CUSTOM_NAMESPACE,
        metricName,
        metricValue: '1',
        dimensions: { Stage: '$.stage' },
        unit: cloudwatch.Unit.COUNT,
      }).metric({ period, statistic: 'Sum', dimensionsMap: { Stage: config.stage } });
    const answered = counted('BufferedResponses', BUFFERED_RESPONSES_METRIC, notStreamed);
    const slow = counted(
      'SlowBufferedResponses',
      SLOW_BUFFERED_RESPONSES_METRIC,
      logs.FilterPattern.all(
        notStreamed,
        logs.FilterPattern.regexValue('$.latencyMs', '=', SLOW_LATENCY_PATTERN),
      ),
    );
    alarm(
      'ApiLatencyP99',
      new cloudwatch.MathExpression({
        // 1% or more of them at 10 s or more: their p99 is 10 s or more.
        expression: 'IF(answered >= 20, 100 * FILL(slow, 0) / answered, 0)',
        usingMetrics: { answered, slow },
        period,
        label: '% of answers not streamed at 10 s or more',
      }),
      1,
      'API p99 latency of answers not streamed at 10 s or more (streamed chat replies and downloads are long by nature and left out).',
    );
    // WAF's WebACL dimension carries the ACL's visibility metric name, not the ACL's name; a
    // regional ACL's metrics also carry its Region.
    const blocked = (rule: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: this.waf.metricName, Region: this.region, Rule: rule },
        statistic: 'Sum',
        period,
      });
    alarm(
      'ApiWafBlockedSpike',
      // Requests to the execute-api URL without the origin secret are not users coming through
      // CloudFront (scanners find the URL): they do not count towards this alarm.
      new cloudwatch.MathExpression({
        expression: 'FILL(blocked, 0) - FILL(direct, 0)',
        usingMetrics: {
          blocked: blocked('ALL'),
          direct: blocked(`${this.waf.metricPrefix}-RequireOriginHeader`),
        },
        period,
        label: 'Blocked requests that came through CloudFront',
      }),
      500,
      'The API WAF blocks an unusual number of requests: an attack, or a rule hurting real users.',
    );

    // --- cdk-nag acknowledgements (see docs/security.md) --------------------------------------
    acknowledge(this.api, 'apiGatewayLogsManagedPolicy');
  }
}

/**
 * How many viewers' limits one CloudFront edge address may carry at the API's ACL: its per-address
 * limits are this multiple of the edge ACL's per-viewer ones.
 */
export const EDGE_FAN_IN = 10;

/** A function's reserved concurrency: its share of the stage's reservation, rounded up. */
function reservedFor(settings: GroupSettings, reservedConcurrency: number | undefined): number | undefined {
  if (reservedConcurrency === undefined || settings.reservedShare === 0) return undefined;
  return Math.ceil(reservedConcurrency * settings.reservedShare);
}

/** The groups' reservations together; the account must keep 100 unreserved. */
function checkReservedConcurrency(config: StageConfig, groups: readonly HandlerGroup[]): void {
  const { reservedConcurrency, lambdaConcurrencyQuota } = config.api;
  if (reservedConcurrency === undefined) return;
  const reserved = groups.reduce(
    (sum, g) => sum + (reservedFor(GROUP_SETTINGS[g], reservedConcurrency) ?? 0),
    0,
  );
  if (lambdaConcurrencyQuota === undefined || reserved + LAMBDA_UNRESERVED_MINIMUM > lambdaConcurrencyQuota) {
    throw new Error(
      `api.reservedConcurrency reserves ${reserved} concurrent executions; with the ${LAMBDA_UNRESERVED_MINIMUM} ` +
        `Lambda keeps unreserved that exceeds api.lambdaConcurrencyQuota (${lambdaConcurrencyQuota ?? 'not set'})`,
    );
  }
}
