import { ArnFormat, Duration, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages';
import { CUSTOM_NAMESPACE } from '../constructs/function-environment';
import { pagingAlarm } from '../constructs/paging-alarm';
import { SLOW_BUFFERED_RESPONSES_METRIC } from './api-stack';

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
    description:
      'Cognito and the database disagree: an admin change not undone, a password reset whose sign-out failed, or a Cognito user whose e-mail is another user’s (see the runbook).',
  },
] as const;

/** Business metrics the dashboard graphs without an alarm, by the name the functions publish. */
export const GRAPHED_METRICS = {
  /** A reply the model ended at its length limit (chat/adapters/powertools-chat-metrics.ts). */
  RepliesCutShort: 'RepliesCutShort',
  /** A request answered 503 because Aurora could not be reached (shared/http/error-handler.ts). */
  DatabaseUnavailable: 'DatabaseUnavailable',
  /** A request answered 500 by an error the code did not expect (shared/http/error-handler.ts). */
  ServerErrors: 'ServerErrors',
  /** A send or regenerate refused for the per-minute limit (chat/adapters/powertools-chat-metrics.ts). */
  RateLimitRejections: 'RateLimitRejections',
} as const;

/**
 * The model's time to its first token, as the chat function publishes it: Powertools' EMF with
 * the `service` dimension and the stage's (`test/integration/chat-metrics.int.test.ts` holds the
 * set), so a percentile can be read from it, which Metrics Insights cannot give.
 */
export function timeToFirstToken(stage: string) {
  return {
    metricName: 'TimeToFirstToken',
    dimensionsMap: { service: 'chat', Stage: stage },
  } as const;
}

/** The ModelSlowToStart alarm's p99 time to the first token, drawn on the dashboard's graph too. */
const MODEL_SLOW_TO_START_MS = 10_000;

/**
 * The Metrics Insights query of one of Parley's own metrics in one stage: the sum over every
 * dimension set it is published with (Powertools adds `service`, and `route` on requests), in the
 * stage's own series only. Stages may share an account and region; without the WHERE, a dev
 * deployment's lockouts would page for production.
 */
export function stageSumQuery(metricName: string, stage: string, groupBy?: 'route'): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(metricName) || !/^[a-z]+$/.test(stage))
    throw new Error(`Not a metric name and stage to query: ${metricName}, ${stage}`);
  const query = `SELECT SUM(${metricName}) FROM "${CUSTOM_NAMESPACE}" WHERE Stage = '${stage}'`;
  return groupBy ? `${query} GROUP BY ${groupBy}` : query;
}

/**
 * Everything here is named, never referenced: function and alarm names are fixed physical names,
 * so no other stack exports them to this one, and removing a handler group or renaming an alarm
 * cannot fail on "Export … cannot be deleted as it is in use". The alarm topic is the one import.
 */
export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
  readonly alarmTopic: sns.ITopic;
  /** The REST API's name (its metrics' ApiName dimension). */
  readonly apiName: string;
  /** Each function's physical name, with the label the dashboard shows. */
  readonly functions: readonly { readonly label: string; readonly functionName: string }[];
  /** Names of the alarms that mean users are failing right now (API 5XX, latency, chat errors). */
  readonly userFacingAlarmNames: readonly string[];
  readonly dataAlarmNames: readonly string[];
  readonly dbClusterIdentifier: string;
  /** Absent with the cache off. */
  readonly cacheName?: string;
}

/** The plain physical name of an alarm or function (never a token: that would be an import). */
export function physicalName(resource: cloudwatch.Alarm | lambda.IFunction): string {
  const child = resource.node.defaultChild;
  const name =
    child instanceof cloudwatch.CfnAlarm
      ? child.alarmName
      : child instanceof lambda.CfnFunction
        ? child.functionName
        : undefined;
  if (name === undefined || Token.isUnresolved(name)) {
    throw new Error(`${resource.node.path} needs a fixed physical name to be watched by name`);
  }
  return name;
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
    const custom = (metricName: string, groupBy?: 'route') =>
      new cloudwatch.MathExpression({
        expression: stageSumQuery(metricName, config.stage, groupBy),
        usingMetrics: {},
        period,
        // A grouped query's series each by its default label, its group (the route): a fixed
        // label names every series alike, and CDK puts the query there when none is given.
        label: groupBy ? '${LABEL}' : metricName,
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

    // A reply's length is the model's business (the chat function's duration line sits at the
    // model call's own limit); how long people wait for its first word is the model's health.
    // p99 at 10 s: 1% of replies waited most of a first-token timeout (15 s before a retry).
    this.customAlarms.push(
      pagingAlarm(this, 'ModelSlowToStart', props.alarmTopic, {
        alarmName: `parley-${config.stage}-ModelSlowToStart`,
        alarmDescription:
          'The model keeps people waiting: p99 time to the first token at 10 s or more. Runbook: docs/runbook.md#alarms',
        metric: new cloudwatch.Metric({
          namespace: CUSTOM_NAMESPACE,
          ...timeToFirstToken(config.stage),
          statistic: 'p99',
          period,
        }),
        threshold: MODEL_SLOW_TO_START_MS,
      }),
    );

    const byName = (name: string) =>
      cloudwatch.Alarm.fromAlarmArn(
        this,
        `Alarm-${name}`,
        this.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
    const userFacingAlarms = props.userFacingAlarmNames.map(byName);
    const dataAlarms = props.dataAlarmNames.map(byName);

    const circuitOpen = this.customAlarms.find((a) => a.node.id === 'CircuitOpen');
    // The e-mail's text names every function whose errors page, as the rule holds them
    // (`parley-<stage>-api-<group>-errors`): the operator reads it before looking up the rule.
    const pagingFunctions = props.userFacingAlarmNames.flatMap((name) => {
      const group = /-api-([a-z0-9-]+)-errors$/.exec(name)?.[1];
      return group ? [group] : [];
    });
    this.usersAffected = new cloudwatch.CompositeAlarm(this, 'UsersAffected', {
      compositeAlarmName: `parley-${config.stage}-users-affected`,
      alarmDescription: `Users are failing now: API 5XX rate, API latency, ${pagingFunctions.join(' or ')} function errors, or the model circuit is open. Runbook: docs/runbook.md#alarms`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...userFacingAlarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
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
    const apiMetric = (metricName: string, statistic: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: props.apiName },
        statistic,
        period,
        label,
      });
    const fnMetric = (metricName: string, statistic: string, label: string, functionName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: functionName },
        statistic,
        period,
        label,
      });
    const cache = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { clusterId: props.cacheName ?? '' },
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
        alarms: [this.usersAffected, ...userFacingAlarms, ...this.customAlarms, ...dataAlarms],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        width: 12,
        left: [
          apiMetric('Count', 'SampleCount', 'Count'),
          apiMetric('4XXError', 'Sum', '4XXError'),
          apiMetric('5XXError', 'Sum', '5XXError'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency',
        width: 12,
        left: ['p50', 'p90', 'p99'].map((statistic) => apiMetric('Latency', statistic, statistic)),
        // What the latency alarm reads: streamed answers (chat replies, downloads) left out.
        right: [
          new cloudwatch.Metric({
            namespace: CUSTOM_NAMESPACE,
            metricName: SLOW_BUFFERED_RESPONSES_METRIC,
            dimensionsMap: { Stage: config.stage },
            statistic: 'Sum',
            period,
            label: 'answers not streamed at 10 s or more',
          }),
        ],
      }),
    );
    // One business metric a graph: a Metrics Insights query is read with GetMetricData, which takes
    // one such query a call ("each GetMetricData operation can include only one query"); five in
    // one graph would leave it empty with an error. Beside the alarms' metrics, the replies the
    // model cut at their length limit, to tune chatMaxReplyTokens against.
    this.dashboard.addWidgets(
      ...[...CUSTOM_METRICS.map((m) => m.name), GRAPHED_METRICS.RepliesCutShort].map(
        (name) => new cloudwatch.GraphWidget({ title: name, width: 4, height: 4, left: [custom(name)] }),
      ),
    );
    // What an operator paged by Api5xxRate reads beside it: Aurora away (503 with Retry-After)
    // or our own bug (500), the latter per route (every API request's metrics carry `route`; one
    // series a route, well under a query's 500), and the per-minute limit's 429s. One query a
    // graph, as above.
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DatabaseUnavailable (503)',
        width: 8,
        height: 6,
        left: [custom(GRAPHED_METRICS.DatabaseUnavailable)],
      }),
      new cloudwatch.GraphWidget({
        title: 'ServerErrors (500) by route',
        width: 8,
        height: 6,
        left: [custom(GRAPHED_METRICS.ServerErrors, 'route')],
      }),
      new cloudwatch.GraphWidget({
        title: 'RateLimitRejections (429, per-minute limit)',
        width: 8,
        height: 6,
        left: [custom(GRAPHED_METRICS.RateLimitRejections)],
      }),
    );
    // What the ModelSlowToStart alarm reads, as a plain metric (Metrics Insights gives no
    // percentiles), beside how long the whole call took: an operator it pages sees the wait grow.
    const modelTiming = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: CUSTOM_NAMESPACE,
        metricName,
        dimensionsMap: timeToFirstToken(config.stage).dimensionsMap,
        statistic,
        period,
        label: `${metricName} ${statistic}`,
      });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'TimeToFirstToken (p50, p99) and ModelLatency (p99), ms',
        width: 12,
        left: [modelTiming('TimeToFirstToken', 'p50'), modelTiming('TimeToFirstToken', 'p99')],
        leftAnnotations: [{ value: MODEL_SLOW_TO_START_MS, label: 'ModelSlowToStart (p99)' }],
        right: [modelTiming('ModelLatency', 'p99')],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        width: 8,
        left: props.functions.map(({ label, functionName }) =>
          fnMetric('Errors', 'Sum', label, functionName),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function p99 duration',
        width: 8,
        left: props.functions.map(({ label, functionName }) =>
          fnMetric('Duration', 'p99', label, functionName),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function concurrency and throttles',
        width: 8,
        left: props.functions.map(({ label, functionName }) =>
          fnMetric('ConcurrentExecutions', 'Maximum', label, functionName),
        ),
        right: props.functions.map(({ label, functionName }) =>
          fnMetric('Throttles', 'Sum', `${label} throttles`, functionName),
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
      ...(props.cacheName
        ? [
            new cloudwatch.GraphWidget({
              title: 'Valkey',
              width: 12,
              left: [cache('ElastiCacheProcessingUnits'), cache('ThrottledCmds')],
              right: [cache('BytesUsedForCache', 'Maximum')],
            }),
          ]
        : []),
    );
  }
}
