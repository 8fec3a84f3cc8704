import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { allowCloudWatchLogs } from '../constructs/logs-key-policy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { acknowledge } from '../config/nag-acknowledgements';
import type { StageConfig } from '../config/stages';

export interface FoundationStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * What every other stack needs first: the operations key (log groups, the alarm topic) and the
 * alarm topic itself. It is deployed first so that each stack can create the alarms of its own
 * resources (CodeDeploy rolls back on alarms that must live beside the function aliases).
 */
export class FoundationStack extends Stack {
  readonly opsKey: kms.Key;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.opsKey = new kms.Key(this, 'OpsKey', {
      description: `Parley ${config.stage}: CloudWatch Logs and the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: undefined,
    });
    // CloudWatch Logs encrypts any Parley log group in this account and region with this key.
    allowCloudWatchLogs(this.opsKey);
    // CloudWatch alarms publish to the encrypted topic.
    this.opsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Parley ${config.stage} alarms`,
      masterKey: this.opsKey,
      enforceSSL: true,
    });
    const email = this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    acknowledge(email, 'alarmEmailRedrive');
  }
}
