import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages';

export const CUSTOM_NAMESPACE = 'Parley';

/** Business metrics the functions emit with Powertools (EMF) and the alarm on each. */
export const CUSTOM_METRICS = [
  { name: 'ModelErrors', threshold: 5, description: 'The model provider failed 5+ times in 5 minutes.' },
  { name: 'CircuitOpen', threshold: 1, description: 'The model circuit breaker opened: chat answers 503.' },
  {
    name: 'QuotaRejections',
    threshold: 50,
    description: 'Many requests refused for quota: quotas too low or abuse.',
  },
  { name: 'Lockouts', threshold: 10, description: 'Many accounts locked out: a password-guessing attack.' },
  {
    name: 'IdentityDrift',
    threshold: 1,
    description: 'An admin change left Cognito and the database apart (see the runbook).',
  },
] as const;

export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
  readonly alarmTopic: sns.ITopic;
  readonly api: apigw.RestApi;
  readonly functions: readonly { readonly name: string; readonly fn: lambda.IFunction }[];
  /** Alarms that mean users are failing right now (API 5XX, latency, chat function errors). */
  readonly userFacingAlarms: readonly cloudwatch.IAlarm[];
  readonly dataAlarms: readonly cloudwatch.IAlarm[];
  readonly dbClusterIdentifier: string;
  readonly cacheName: string;
}

/**
 * What operators look at: alarms on the custom metrics, the composite "users affected" alarm
 * that pages, and the dashboard. Per-resource alarms live beside their resources.
 */
export class MonitoringStack extends Stack {
  readonly usersAffected: cloudwatch.CompositeAlarm;
  readonly customAlarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const period = Duration.minutes(5);
    const custom = (metricName: string) =>
      // Metrics Insights sums the metric over every dimension set (Powertools adds `service`).
      new cloudwatch.MathExpression({
        expression: `SELECT SUM(${metricName}) FROM "${CUSTOM_NAMESPACE}"`,
        usingMetrics: {},
        period,
        label: metricName,
      });

    for (const m of CUSTOM_METRICS) {
      const alarm = new cloudwatch.Alarm(this, m.name, {
        alarmName: `parley-${config.stage}-${m.name}`,
        alarmDescription: m.description,
        metric: custom(m.name),
        threshold: m.threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      this.customAlarms.push(alarm);
    }

    const circuitOpen = this.customAlarms.find((a) => a.node.id === 'CircuitOpen');
    this.usersAffected = new cloudwatch.CompositeAlarm(this, 'UsersAffected', {
      compositeAlarmName: `parley-${config.stage}-users-affected`,
      alarmDescription:
        'Users are failing now: API 5XX rate, API latency, chat function errors or the model circuit is open. Runbook: docs/deployment.md#alarms',
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...props.userFacingAlarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
        ...(circuitOpen ? [cloudwatch.AlarmRule.fromAlarm(circuitOpen, cloudwatch.AlarmState.ALARM)] : []),
      ),
    });
    this.usersAffected.addAlarmAction(new actions.SnsAction(props.alarmTopic));
    this.usersAffected.addOkAction(new actions.SnsAction(props.alarmTopic));

    const db = (metricName: string, statistic = 'Average') =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBClusterIdentifier: props.dbClusterIdentifier },
        statistic,
        period,
      });
    const cache = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { clusterId: props.cacheName },
        statistic,
        period,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `parley-${config.stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        width: 24,
        alarms: [this.usersAffected, ...props.userFacingAlarms, ...this.customAlarms, ...props.dataAlarms],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        width: 8,
        left: [
          props.api.metricCount({ period }),
          props.api.metricClientError({ period }),
          props.api.metricServerError({ period }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency',
        width: 8,
        left: ['p50', 'p90', 'p99'].map((statistic) => props.api.metricLatency({ period, statistic })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Business metrics',
        width: 8,
        left: CUSTOM_METRICS.map((m) => custom(m.name)),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        width: 8,
        left: props.functions.map(({ name, fn }) => fn.metricErrors({ period, label: name })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function p99 duration',
        width: 8,
        left: props.functions.map(({ name, fn }) =>
          fn.metricDuration({ period, statistic: 'p99', label: name }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function concurrency and throttles',
        width: 8,
        left: props.functions.map(({ name, fn }) =>
          fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum', label: name }),
        ),
        right: props.functions.map(({ name, fn }) =>
          fn.metricThrottles({ period, label: `${name} throttles` }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Aurora capacity (ACU) and connections',
        width: 12,
        left: [db('ServerlessDatabaseCapacity'), db('ACUUtilization')],
        right: [db('DatabaseConnections', 'Maximum')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Valkey',
        width: 12,
        left: [cache('ElastiCacheProcessingUnits'), cache('ThrottledCmds')],
        right: [cache('BytesUsedForCache', 'Maximum')],
      }),
    );
  }
}
