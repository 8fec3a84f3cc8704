import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface FunctionAlarmsProps {
  /** The function or alias watched; an alias gives the per-version view CodeDeploy needs. */
  readonly target: lambda.IFunction;
  /** Short name used in alarm names, e.g. `conversations`. */
  readonly name: string;
  readonly stage: string;
  readonly topic: sns.ITopic;
  /** p99 duration at or above which the function is considered too slow. */
  readonly p99Threshold: Duration;
  /** @default 1 error in a minute, two minutes running */
  readonly errorThreshold?: number;
}

/**
 * The three alarms every function has: errors, throttles and p99 duration, each notifying the
 * alarm topic. The API functions' CodeDeploy deployments roll back on these same alarms.
 */
export class FunctionAlarms extends Construct {
  readonly errors: cloudwatch.Alarm;
  readonly throttles: cloudwatch.Alarm;
  readonly duration: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const make = (kind: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const alarm = new cloudwatch.Alarm(this, kind, {
        alarmName: `parley-${props.stage}-${props.name}-${kind.toLowerCase()}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.topic));
      alarm.addOkAction(new actions.SnsAction(props.topic));
      return alarm;
    };
    this.errors = make(
      'Errors',
      props.target.metricErrors({ period, statistic: 'Sum' }),
      props.errorThreshold ?? 1,
      `${props.name}: the function threw (unhandled errors, timeouts). Runbook: docs/runbook.md#alarms`,
    );
    this.throttles = make(
      'Throttles',
      props.target.metricThrottles({ period, statistic: 'Sum' }),
      1,
      `${props.name}: invocations throttled (reserved or account concurrency exhausted).`,
    );
    this.duration = make(
      'Duration',
      props.target.metricDuration({ period, statistic: 'p99' }),
      props.p99Threshold.toMilliseconds(),
      `${props.name}: p99 duration at ${props.p99Threshold.toHumanString()} or more.`,
    );
  }

  get all(): cloudwatch.Alarm[] {
    return [this.errors, this.throttles, this.duration];
  }
}
