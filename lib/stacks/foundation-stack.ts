import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { allowCloudWatchLogs } from '../constructs/logs-key-policy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { acknowledge } from '../config/nag-acknowledgements';
import type { StageConfig } from '../config/stages';

/** Every alarm of a stage is named with this prefix. */
export function stageResourcePrefix(stage: string): string {
  return `parley-${stage}-`;
}

/**
 * Who may publish to the alarm topic: CloudWatch, for this stage's alarms (named
 * `parley-<stage>-…`, which the tests check for every alarm). Another publisher (an EventBridge
 * rule, say) needs its own entry here, or its messages are refused.
 */
export function alarmPublishers(stack: Stack, stage: string): { principal: string; sourceArn: string }[] {
  const prefix = stageResourcePrefix(stage);
  return [
    {
      principal: 'cloudwatch.amazonaws.com',
      sourceArn: stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `${prefix}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
  ];
}

export interface FoundationStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * What every other stack needs first: the operations key (log groups), the alarm topic and its
 * key. It is deployed first so that each stack can create the alarms of its own
 * resources (CodeDeploy rolls back on alarms that must live beside the function aliases).
 */
export class FoundationStack extends Stack {
  /** CloudWatch Logs only. */
  readonly opsKey: kms.Key;
  /** The alarm topic only. */
  readonly alarmKey: kms.Key;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.opsKey = new kms.Key(this, 'OpsKey', {
      description: `Parley ${config.stage}: CloudWatch Logs`,
      enableKeyRotation: true,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: undefined,
    });
    // CloudWatch Logs encrypts any Parley log group in this account and region with this key.
    allowCloudWatchLogs(this.opsKey);

    // The alarm topic has a key of its own, usable only by the service that publishes to it, for
    // this stage's alarms, and only to encrypt for this stack's topic.
    const account = { 'aws:SourceAccount': this.account };
    const publishers = alarmPublishers(this, config.stage);
    this.alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Parley ${config.stage}: the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The topic's own ARN would make a cycle (the topic names the key); its generated name
    // starts with the stack name and the construct id.
    const topicArnPattern = this.formatArn({ service: 'sns', resource: `${this.stackName}-AlarmTopic*` });
    for (const { principal, sourceArn } of publishers) {
      this.alarmKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(principal)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            StringEquals: account,
            ArnLike: { 'aws:SourceArn': sourceArn },
            StringLike: { 'kms:EncryptionContext:aws:sns:topicArn': topicArnPattern },
          },
        }),
      );
    }

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Parley ${config.stage} alarms`,
      masterKey: this.alarmKey,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy holding only a Deny; without these Allows nothing may
    // publish, and every alarm notification would be dropped.
    for (const { principal, sourceArn } of publishers) {
      this.alarmTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(principal)],
          actions: ['sns:Publish'],
          resources: [this.alarmTopic.topicArn],
          conditions: { StringEquals: account, ArnLike: { 'aws:SourceArn': sourceArn } },
        }),
      );
    }
    const email = this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    acknowledge(email, 'alarmEmailRedrive');
  }
}
