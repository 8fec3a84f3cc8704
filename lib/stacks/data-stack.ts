import { ArnFormat, CfnOutput, Duration, Names, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { APPLICATION_ROLE } from '../../functions/migrations/application-role';
import { acknowledge } from '../config/nag-acknowledgements';
import type { StageConfig } from '../config/stages';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
  readonly opsKey: kms.IKey;
  readonly alarmTopic: sns.ITopic;
}

export const DB_NAME = 'parley';
/** Never in a generated database password: characters that need quoting in a URL or a shell. */
const EXCLUDED_PASSWORD_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';
/** The failed-backup alarm's period: a Metrics Insights alarm may look back 3 hours at most. */
export const BACKUP_FAILED_PERIOD = Duration.hours(1);

/**
 * AWS Backup's count of failed backup jobs: namespace AWS/Backup, metric NumberOfBackupJobsFailed,
 * published under two dimension combinations, BackupVaultName alone and BackupVaultName with
 * ResourceType ("each bullet in the Dimensions column is a combination of dimensions that are
 * published together": CloudWatch User Guide, "Supported metrics for resource tags for telemetry",
 * docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/SupportedMetricsForResourceTagsForTelemetry.html).
 * A count of jobs, summed.
 */
export const BACKUP_JOBS_FAILED = {
  namespace: 'AWS/Backup',
  metricName: 'NumberOfBackupJobsFailed',
  dimensions: ['BackupVaultName', 'ResourceType'],
  statistic: 'SUM',
} as const;

/**
 * Failed AWS Backup jobs of the vault: the vault-and-resource-type combination exactly (SCHEMA
 * matches only "the metrics that exactly match a list of dimensions": CloudWatch User Guide,
 * "Metrics Insights query components and syntax"), summed over every resource type. Each failed
 * job counts once: a bare FROM "AWS/Backup" would also take the vault-only series and count it
 * twice.
 */
export function backupJobsFailedQuery(vaultName: string): string {
  const { namespace, metricName, dimensions, statistic } = BACKUP_JOBS_FAILED;
  return `SELECT ${statistic}(${metricName}) FROM SCHEMA("${namespace}", ${dimensions.join(', ')}) WHERE BackupVaultName = '${vaultName}'`;
}

/** Valkey user the functions connect as, with an IAM auth token (no password exists). */
export const CACHE_USER_ID = 'parley-app';

/**
 * The network and every store: VPC, Aurora PostgreSQL Serverless v2 (Data API), ElastiCache
 * Serverless Valkey, the OpenAI key secret, the backup plan, and the alarms on them.
 */
export class DataStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly dataKey: kms.Key;
  /** The API functions' security group; the cache admits only it. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** The hosted rotation function of the database secrets. */
  readonly rotationSecurityGroup: ec2.SecurityGroup;
  readonly cluster: rds.DatabaseCluster;
  /** The master user's credentials: the migrator's alone. */
  readonly databaseSecret: secretsmanager.ISecret;
  /** The DML-only application role's (migration 0012): the API functions' and triggers'. */
  readonly applicationSecret: secretsmanager.ISecret;
  /** Absent with cache.enabled false. */
  readonly cache?: elasticache.CfnServerlessCache;
  /** SSM parameter holding the cache's `host:port`. */
  readonly cacheEndpointParameterName?: string;
  /** The cluster's fixed identifier (`parley-<stage>`), for metrics and ARNs built from it. */
  readonly clusterIdentifier: string;
  readonly cacheUser?: elasticache.CfnUser;
  readonly openAiSecret: secretsmanager.Secret;
  /** Where the AWS Backup plan keeps Aurora's recovery points. */
  readonly backupVault: backup.BackupVault;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const withNat = config.network.natGateways > 0;

    this.dataKey = new kms.Key(this, 'DataKey', {
      description: `Parley ${config.stage}: database, cache, secrets and backups`,
      enableKeyRotation: true,
      removalPolicy,
    });

    // --- Network -------------------------------------------------------------------------------
    // public: only the NAT gateways. app: the API functions (egress through NAT, only to reach the
    // model provider). data: Aurora and Valkey, no route out at all.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: config.network.maxAzs,
      natGateways: config.network.natGateways,
      // Without NAT gateways (a dev option, cache off) nothing leaves the VPC: no public subnets,
      // and the app subnets hold only the rotation functions.
      subnetConfiguration: [
        ...(withNat
          ? [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false }]
          : []),
        {
          name: 'app',
          subnetType: withNat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: 22,
        },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', {
              encryptionKey: props.opsKey,
              retention: config.logRetentionDays as logs.RetentionDays,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // S3 gateway endpoint: free, keeps any S3 traffic off the NAT.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Parley API functions',
      // Egress: HTTPS (AWS APIs, model provider) and the cache ports only.
      allowAllOutbound: false,
    });
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs and the model provider',
    );
    // The hosted rotation function of the database secrets: the Secrets Manager API (endpoint or
    // NAT) and the database port only.
    this.rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: this.vpc,
      description: 'Parley database secret rotation function',
      allowAllOutbound: false,
    });
    this.rotationSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager API');
    if (config.network.interfaceEndpoints) {
      // The API functions call these AWS APIs; endpoints keep that traffic (and its NAT data
      // charge) inside the VPC. Each costs ~$7.30 per AZ a month plus $0.01/GB.
      // No cognito-idp endpoint: a user pool with a domain (ours has one, for the machine
      // clients' token endpoint) is incompatible with PrivateLink, and with private DNS every
      // Cognito call from the VPC (admin calls, the JWKS fetch) would fail. Those go out by NAT.
      const endpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
        SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        RdsData: ec2.InterfaceVpcEndpointAwsService.RDS_DATA,
        Xray: ec2.InterfaceVpcEndpointAwsService.XRAY,
      };
      this.addEndpoints(endpoints);
    } else if (!withNat) {
      // The rotation functions' only way to the Secrets Manager API; one AZ is enough (~$8).
      this.addEndpoints(
        { SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER },
        { subnetGroupName: 'app', availabilityZones: [this.vpc.availabilityZones[0] ?? ''] },
      );
    }

    // --- Aurora PostgreSQL Serverless v2 ------------------------------------------------------
    const dbSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'Parley Aurora: reached through the Data API; admits only the rotation function',
      allowAllOutbound: false,
    });
    // Our own log group for the PostgreSQL log (KMS, retention), instead of the LogRetention
    // custom resource `cloudwatchLogsRetention` would add.
    const clusterIdentifier = `parley-${config.stage}`;
    this.clusterIdentifier = clusterIdentifier;
    const postgresLog = new logs.LogGroup(this, 'PostgresLog', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      encryptionKey: props.opsKey,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Performance Insights in Database Insights' standard mode: database load by wait, SQL and
    // user for 7 days, the retention that costs nothing. Set on the cluster and, the same, on the
    // writer and every reader (Database Insights needs equal settings on each instance). The
    // runbook sends operators there from the capacity and connection alarms. It is kept where
    // minCapacity is 0: what AWS documents as keeping an instance from pausing at 0 ACUs is an
    // RDS Proxy, logical replication, a global database or a zero-ETL integration, none of which
    // this cluster has (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html;
    // asserted in test/infra/stacks/data-stack.test.ts). Add one and dev stops pausing.
    const performanceInsights = {
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      performanceInsightEncryptionKey: this.dataKey,
    };
    this.cluster = new rds.DatabaseCluster(this, 'Database', {
      clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 }),
      credentials: rds.Credentials.fromGeneratedSecret('parley_admin', {
        encryptionKey: this.dataKey,
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      }),
      defaultDatabaseName: DB_NAME,
      port: config.database.port,
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        ...performanceInsights,
        publiclyAccessible: false,
      }),
      readers: Array.from({ length: config.database.readers }, (_, i) =>
        rds.ClusterInstance.serverlessV2(`Reader${i + 1}`, {
          ...performanceInsights,
          scaleWithWriter: true,
          publiclyAccessible: false,
        }),
      ),
      serverlessV2MinCapacity: config.database.minCapacity,
      serverlessV2MaxCapacity: config.database.maxCapacity,
      ...performanceInsights,
      databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD,
      enableDataApi: true,
      iamAuthentication: true,
      storageEncrypted: true,
      storageEncryptionKey: this.dataKey,
      vpc: this.vpc,
      vpcSubnets: { subnetGroupName: 'data' },
      securityGroups: [dbSecurityGroup],
      backup: {
        retention: Duration.days(config.database.backupRetentionDays),
        preferredWindow: '02:00-03:00',
      },
      preferredMaintenanceWindow: 'sun:03:30-sun:04:30',
      deletionProtection: config.database.deletionProtection,
      removalPolicy: config.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      copyTagsToSnapshot: true,
      cloudwatchLogsExports: ['postgresql'],
      parameters: {
        // TLS only, for the rotation function and any operator psql session.
        'rds.force_ssl': '1',
        // Statements slower than a second, with their text and duration, for finding slow SQL.
        log_min_duration_statement: '1000',
        // The PostgreSQL log goes to CloudWatch for logRetentionDays and no erasure reaches it, so
        // it keeps no values: PostgreSQL's defaults write a slow statement's bound parameters in
        // full (`DETAIL: parameters: $1 = '…'`, message text, search words) and a unique
        // violation's colliding key (`DETAIL: Key (lower(email))=(…)`). 0 logs no parameter
        // value, and terse leaves out DETAIL, HINT, QUERY and CONTEXT. All three are modifiable
        // in an aurora-postgresql cluster parameter group, like log_min_duration_statement.
        log_parameter_max_length: '0',
        log_parameter_max_length_on_error: '0',
        log_error_verbosity: 'terse',
      },
    });
    this.cluster.node.addDependency(postgresLog);
    if (!this.cluster.secret) throw new Error('Aurora cluster has no generated secret');
    this.databaseSecret = this.cluster.secret;
    // The credentials outlive the cluster when its final snapshot is kept (restores need them).
    // (cluster.secret is the target attachment; the generated secret is the cluster's child.)
    for (const child of this.cluster.node.children) {
      if (child instanceof secretsmanager.Secret) child.applyRemovalPolicy(removalPolicy);
    }
    // Monthly rotation by the hosted single-user rotation function, which needs network access
    // to both the cluster and the Secrets Manager API (it runs in the app subnets).
    const rotation = this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: { subnetGroupName: 'app' },
      securityGroup: this.rotationSecurityGroup,
      excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
    });

    // --- ElastiCache Serverless Valkey ----------------------------------------------------------
    // Off (cache.enabled: false): the functions run outside the VPC and keep no cache.
    if (config.cache.enabled) {
      const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
        vpc: this.vpc,
        description: 'Parley Valkey: admits the API functions only',
        allowAllOutbound: false,
      });
      // 6379 is the primary endpoint, 6380 the reader endpoint of a serverless cache.
      cacheSecurityGroup.addIngressRule(
        this.functionSecurityGroup,
        ec2.Port.tcpRange(6379, 6380),
        'API functions',
      );
      this.functionSecurityGroup.addEgressRule(cacheSecurityGroup, ec2.Port.tcpRange(6379, 6380), 'Valkey');

      // A user group must hold a user named "default"; ours is switched off and cannot authenticate.
      const defaultUser = new elasticache.CfnUser(this, 'CacheDefaultUser', {
        engine: 'valkey',
        userId: `parley-${config.stage}-default-off`,
        userName: 'default',
        accessString: 'off -@all',
        authenticationMode: { Type: 'no-password-required' },
      });
      this.cacheUser = new elasticache.CfnUser(this, 'CacheAppUser', {
        engine: 'valkey',
        // IAM auth requires userId == userName.
        userId: `${CACHE_USER_ID}-${config.stage}`,
        userName: `${CACHE_USER_ID}-${config.stage}`,
        accessString: 'on ~* &* +@all -@dangerous',
        authenticationMode: { Type: 'iam' },
      });
      const userGroup = new elasticache.CfnUserGroup(this, 'CacheUserGroup', {
        engine: 'valkey',
        userGroupId: `parley-${config.stage}-users`,
        userIds: [defaultUser.userId, this.cacheUser.userId],
      });
      userGroup.addResourceDependency(defaultUser);
      userGroup.addResourceDependency(this.cacheUser);
      this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
        serverlessCacheName: `parley-${config.stage}`,
        engine: 'valkey',
        majorEngineVersion: '8',
        description: `Parley ${config.stage}: rate limits, circuit breaker state, idempotency`,
        kmsKeyId: this.dataKey.keyArn,
        securityGroupIds: [cacheSecurityGroup.securityGroupId],
        subnetIds: this.vpc.selectSubnets({ subnetGroupName: 'data' }).subnetIds,
        userGroupId: userGroup.userGroupId,
        cacheUsageLimits: {
          dataStorage: { maximum: config.cache.maxDataStorageGb, unit: 'GB' },
          ecpuPerSecond: { maximum: config.cache.maxEcpuPerSecond },
        },
        // Only ephemeral state lives here, so a day of snapshots is plenty.
        snapshotRetentionLimit: 1,
        dailySnapshotTime: '03:00',
      });
      this.cache.addResourceDependency(userGroup);
      // The endpoint reaches the Api stack through SSM, read at each deploy, not as an export, so
      // replacing the cache does not fail on an export in use (docs/deployment.md).
      this.cacheEndpointParameterName = `/parley/${config.stage}/cache/endpoint`;
      new ssm.StringParameter(this, 'CacheEndpoint', {
        parameterName: this.cacheEndpointParameterName,
        description: `Parley ${config.stage}: Valkey endpoint (host:port) the API functions use`,
        stringValue: `${this.cache.attrEndpointAddress}:${this.cache.attrEndpointPort}`,
      });
    }

    // --- Secrets ------------------------------------------------------------------------------
    // The operator sets the value after the first deploy (docs/deployment.md); the template holds
    // only a placeholder generated by Secrets Manager, never the key.
    this.openAiSecret = new secretsmanager.Secret(this, 'OpenAiApiKey', {
      description: `Parley ${config.stage}: OpenAI API key (set by the operator)`,
      encryptionKey: this.dataKey,
      removalPolicy,
    });
    acknowledge(this.openAiSecret, 'openAiSecretRotation');
    new CfnOutput(this, 'OpenAiSecretArn', {
      description: 'Where the operator puts the OpenAI API key (docs/deployment.md)',
      value: this.openAiSecret.secretArn,
    });

    // --- AWS Backup ---------------------------------------------------------------------------
    const vault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: this.dataKey,
      removalPolicy,
    });
    const plan = new backup.BackupPlan(this, 'BackupPlan', { backupVault: vault });
    plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: events.Schedule.cron({ hour: '4', minute: '0' }),
        deleteAfter: Duration.days(config.database.backupRetentionDays),
      }),
    );
    if (config.stage === 'prod') {
      plan.addRule(
        new backup.BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: events.Schedule.cron({ day: '1', hour: '5', minute: '0' }),
          moveToColdStorageAfter: Duration.days(30),
          deleteAfter: Duration.days(365),
        }),
      );
    }
    const selection = plan.addSelection('Aurora', {
      resources: [backup.BackupResource.fromRdsServerlessCluster(this.cluster)],
    });
    acknowledge(selection, 'backupManagedPolicy');
    this.backupVault = vault;

    // --- Alarms -------------------------------------------------------------------------------
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      periods = 3,
    ) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmName: `parley-${config.stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      this.alarms.push(a);
      return a;
    };
    const dbMetric = (metricName: string, statistic = 'Maximum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBClusterIdentifier: this.cluster.clusterIdentifier },
        statistic,
        period: Duration.minutes(5),
      });
    alarm(
      'DatabaseCapacityHigh',
      dbMetric('ACUUtilization'),
      90,
      'Aurora runs at 90% or more of its maximum ACUs: raise database.maxCapacity or find the query.',
    );
    alarm(
      'DatabaseConnectionsHigh',
      dbMetric('DatabaseConnections'),
      500,
      'Aurora connection count is unusually high.',
    );
    // The application role's credentials: generated here, the role's login set from them by
    // migration 0012 (the migrator reads this secret), rotated like the master's. Not at once:
    // the role exists only after the Schema stack's migrator has run.
    const applicationSecret = new rds.DatabaseSecret(this, 'ApplicationSecret', {
      username: APPLICATION_ROLE,
      dbname: DB_NAME,
      encryptionKey: this.dataKey,
      excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
    });
    applicationSecret.applyRemovalPolicy(removalPolicy);
    this.applicationSecret = applicationSecret.attach(this.cluster);
    // What the runbook's restore, master-password reset and forced rotation need during an
    // incident. The secrets' names are generated, and alike in every stage: a search by name
    // cannot tell the stages apart, the stack's output can. Not exported (operators read them).
    new CfnOutput(this, 'DatabaseSecretArn', {
      description: "The Aurora master user's secret (docs/runbook.md)",
      value: this.databaseSecret.secretArn,
    });
    new CfnOutput(this, 'ApplicationSecretArn', {
      description: "The application role's secret, what the functions use (docs/runbook.md)",
      value: this.applicationSecret.secretArn,
    });
    const applicationRotation = new secretsmanager.SecretRotation(this, 'ApplicationSecretRotation', {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret: this.applicationSecret,
      target: this.cluster,
      vpc: this.vpc,
      vpcSubnets: { subnetGroupName: 'app' },
      securityGroup: this.rotationSecurityGroup,
      excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      automaticallyAfter: Duration.days(30),
      rotateImmediatelyOnUpdate: false,
    });

    // The hosted rotation functions' own log groups: CDK names each function after its rotation
    // construct's unique id (the last 64 characters, Lambda's limit on a name) and passes the
    // name to the rotation application. Declared here, before the application and its schedule
    // (the first rotation runs at once), with our key and the stage's retention; Lambda would
    // otherwise create them at the first run, kept for ever.
    const rotationFunctionName = (r: secretsmanager.SecretRotation) => Names.uniqueId(r).slice(-64);
    for (const [id, r] of [
      ['DatabaseRotationLogGroup', rotation],
      ['ApplicationRotationLogGroup', applicationRotation],
    ] as const) {
      const group = new logs.LogGroup(this, id, {
        logGroupName: `/aws/lambda/${rotationFunctionName(r)}`,
        encryptionKey: props.opsKey,
        retention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      r.node.addDependency(group);
    }

    // A failed rotation leaves the old credentials in place and would go unnoticed until they are
    // needed. Each failed rotation step is an error of the hosted rotation function (a timeout
    // too), named as above.
    alarm(
      'DatabaseSecretRotationFailed',
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensionsMap: { FunctionName: rotationFunctionName(rotation) },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      1,
      'The database secret rotation failed: the credentials were not rotated (see docs/security.md).',
      1,
    );
    alarm(
      'ApplicationSecretRotationFailed',
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensionsMap: { FunctionName: rotationFunctionName(applicationRotation) },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      1,
      "The application role's secret rotation failed: its credentials were not rotated.",
      1,
    );
    alarm('DatabaseCpuHigh', dbMetric('CPUUtilization', 'Average'), 85, 'Aurora CPU at 85% or more.');
    // A failed AWS Backup job leaves the day without its recovery point, which nothing else would
    // show. AWS Backup counts failed jobs in AWS/Backup NumberOfBackupJobsFailed, by vault and by
    // vault and resource type (BACKUP_JOBS_FAILED): a Metrics Insights query over the second set
    // sums this stage's vault whatever the resource type's value (the vault-only series, as a
    // plain metric, would count the same failed jobs). Such an alarm evaluates "Only the latest 3
    // hours of data" (CloudWatch User Guide, alarm "Limits"), so the sum is hourly: a job failing
    // at any time of its window pages within the hour.
    // No data (no job, or none failed) is no fault: the alarm helper treats it as not breaching.
    // AWS also documents EventBridge "Backup Job State Change" events (state FAILED) as a way to
    // be told of a failed job (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html);
    // the metric is kept: it needs no rule, and the CloudFormation execution policy grants no
    // EventBridge (docs/deployment.md, step 2).
    alarm(
      'BackupJobFailed',
      new cloudwatch.MathExpression({
        expression: backupJobsFailedQuery(vault.backupVaultName),
        usingMetrics: {},
        period: BACKUP_FAILED_PERIOD,
        label: 'Failed AWS Backup jobs',
      }),
      1,
      'An AWS Backup job of the Aurora cluster failed: that day has no recovery point in the vault. Runbook: docs/runbook.md#alarms',
      1,
    );
    const cache = this.cache;
    if (cache) {
      const cacheMetric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ElastiCache',
          metricName,
          dimensionsMap: { clusterId: cache.serverlessCacheName },
          statistic,
          period: Duration.minutes(5),
        });
      alarm(
        'CacheThrottled',
        cacheMetric('ThrottledCmds', 'Sum'),
        1,
        'Valkey throttles commands: raise cache.maxEcpuPerSecond.',
        2,
      );
      alarm(
        'CacheEcpuHigh',
        cacheMetric('ElastiCacheProcessingUnits', 'Sum'),
        config.cache.maxEcpuPerSecond * 300 * 0.8,
        'Valkey uses 80% or more of its ECPU limit.',
      );
      alarm(
        'CacheStorageHigh',
        cacheMetric('BytesUsedForCache', 'Maximum'),
        config.cache.maxDataStorageGb * 1024 ** 3 * 0.8,
        'Valkey uses 80% or more of its storage limit.',
      );
    }
  }

  /** Interface endpoints reachable from the API functions and the rotation functions only. */
  private addEndpoints(
    endpoints: Record<string, ec2.InterfaceVpcEndpointAwsService>,
    subnets: ec2.SubnetSelection = { subnetGroupName: 'app' },
  ): void {
    for (const [name, service] of Object.entries(endpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets,
        privateDnsEnabled: true,
        // Reachable from the API functions only, not from the whole VPC.
        open: false,
      });
      endpoint.connections.allowFrom(this.functionSecurityGroup, ec2.Port.tcp(443), 'API functions');
      if (name === 'SecretsManager') {
        // Rotation reads and writes the secret through this endpoint (private DNS): without
        // this rule every rotation timed out.
        endpoint.connections.allowFrom(this.rotationSecurityGroup, ec2.Port.tcp(443), 'Secret rotation');
      }
    }
  }

  /**
   * Lets a function query through the Data API, as the application role unless `secret` says
   * otherwise (the migrator's master secret). Written out rather than `grantDataApiAccess`:
   * that grants the key through its key policy, naming the other stack's role, which would make
   * this stack depend on the grantee's. The key policy trusts the account's IAM policies.
   */
  grantDataApi(grantee: iam.IGrantable, secret: secretsmanager.ISecret = this.applicationSecret): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'rds-data:ExecuteStatement',
          'rds-data:BatchExecuteStatement',
          'rds-data:BeginTransaction',
          'rds-data:CommitTransaction',
          'rds-data:RollbackTransaction',
        ],
        // Built from the fixed identifier, not a reference: no export for the grantee's stack.
        resources: [
          this.formatArn({
            service: 'rds',
            resource: 'cluster',
            resourceName: this.clusterIdentifier,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.grantSecretRead(grantee, secret);
  }

  /** Read access to one of our secrets, and to the key only as used by Secrets Manager. */
  grantSecretRead(grantee: iam.IGrantable, secret: secretsmanager.ISecret): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [secret.secretArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
      }),
    );
  }

  /** Lets a function use the cache with IAM auth (elasticache:Connect on the cache and user). */
  grantCacheConnect(grantee: iam.IGrantable): void {
    if (!this.cache || !this.cacheUser) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticache:Connect'],
        // Built from the fixed names: a replaced cache leaves no export in use behind.
        resources: [
          this.formatArn({
            service: 'elasticache',
            resource: 'serverlesscache',
            resourceName: this.cache.serverlessCacheName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
          this.formatArn({
            service: 'elasticache',
            resource: 'user',
            resourceName: this.cacheUser.userId,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }
}
