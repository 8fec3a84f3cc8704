import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** The threshold alarms' usual shape: at or over the line in 2 of 3 periods; no data is no fault. */
type PagingAlarmProps = Omit<
  cloudwatch.AlarmProps,
  'evaluationPeriods' | 'datapointsToAlarm' | 'comparisonOperator' | 'treatMissingData'
> &
  Partial<
    Pick<
      cloudwatch.AlarmProps,
      'evaluationPeriods' | 'datapointsToAlarm' | 'comparisonOperator' | 'treatMissingData'
    >
  >;

/**
 * An alarm that pages: it notifies the stage's alarm topic when it fires. By default it fires at or
 * over its threshold in 2 of 3 periods and treats missing data as fine; an alarm whose point is a
 * missing data point (a heartbeat) says otherwise.
 */
export function pagingAlarm(scope: Construct, id: string, topic: sns.ITopic, props: PagingAlarmProps) {
  const alarm = new cloudwatch.Alarm(scope, id, {
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...props,
  });
  alarm.addAlarmAction(new actions.SnsAction(topic));
  return alarm;
}
