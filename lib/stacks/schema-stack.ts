import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages';
import { AppFunction } from '../constructs/app-function';
import { FunctionAlarms } from '../constructs/function-alarms';
import { DB_NAME } from './data-stack';

export interface SchemaStackProps extends StackProps {
  readonly config: StageConfig;
  readonly opsKey: kms.IKey;
  readonly alarmTopic: sns.ITopic;
  readonly cluster: rds.DatabaseCluster;
  /** The master user's secret: the migrator alone connects with it. */
  readonly migratorDatabaseSecret: secretsmanager.ISecret;
  /** The application role's secret, whose login migration 0012 sets. */
  readonly applicationSecret: secretsmanager.ISecret;
  /** Grants the migrator Data API access as the master user, and reading the application secret. */
  readonly grantMigratorDataApi: (grantee: iam.IGrantable) => void;
}

/** The migrator's function name: not the `parley-<stage>-migrations` the Api stack held until it moved here. */
export const migratorFunctionName = (stage: string) => `parley-${stage}-migrator`;

/**
 * The database migrations, run on every deploy that changes them (`MigrateOnDeploy`), between the
 * Data stack and every stack with a function that queries the database: the Auth stack (the
 * Cognito triggers, which Cognito calls unqualified, and sign-in activity) and the Api stack (the
 * API functions and the retention run) depend on this one, so `cdk deploy --all` updates them only
 * once the migrations have committed, and a failed migration stops the deploy before any of them.
 */
export class SchemaStack extends Stack {
  readonly migrator: AppFunction;
  /** The custom resource that runs the migrator; deploy what needs the schema after it. */
  readonly migration: triggers.Trigger;
  readonly functionAlarms: FunctionAlarms;

  constructor(scope: Construct, id: string, props: SchemaStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Declared up front so grants on the data stack's key land in our role policies, not in the
    // key policy (which would make the data stack depend on this one).
    this.addStackDependency(Stack.of(props.cluster));

    this.migrator = new AppFunction(this, 'Migrator', {
      // Fixed names: the Monitoring stack watches functions by name, not through exports. A new
      // one: this stack is created before the Api stack deletes the function it used to hold.
      functionName: migratorFunctionName(config.stage),
      entry: 'functions/migrations/handlers/migrate.ts',
      description: `Parley ${config.stage} database migrations`,
      logKey: props.opsKey,
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      runtimeSourceMaps: config.runtimeSourceMaps,
      // The master user; the application role's secret only to set that role's login (0012).
      // Nothing of the user pool: it is deployed after this stack.
      environment: {
        STAGE: config.stage,
        DB_DRIVER: 'data-api',
        DB_CLUSTER_ARN: props.cluster.clusterArn,
        DB_SECRET_ARN: props.migratorDatabaseSecret.secretArn,
        DB_APP_SECRET_ARN: props.applicationSecret.secretArn,
        DB_NAME,
        POWERTOOLS_SERVICE_NAME: 'migrations',
        LOG_LEVEL: config.logLevel,
      },
      // Aurora may be resuming from zero ACUs (~15 s) before the first statement runs.
      timeout: Duration.minutes(5),
      copyDirs: ['migrations'],
    });
    props.grantMigratorDataApi(this.migrator);
    this.functionAlarms = new FunctionAlarms(this, 'MigratorAlarms', {
      target: this.migrator,
      name: 'migrator',
      stage: config.stage,
      topic: props.alarmTopic,
      p99Threshold: Duration.minutes(4),
    });
    // On Create and on each Update that changes the handler (a release with a new migration, or
    // a CloudFormation rollback back to the previous one); never on Delete (CDK's provider skips
    // it, and the handler leaves the schema alone).
    this.migration = new triggers.Trigger(this, 'MigrateOnDeploy', {
      handler: this.migrator,
      // A throw fails the custom resource, so the deployment stops and rolls back.
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(5),
      executeOnHandlerChange: true,
    });
  }
}
