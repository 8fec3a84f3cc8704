import { gzipSync } from 'node:zlib';

import type { CloudWatchLogsEvent } from 'aws-lambda';

/**
 * Test input in the shapes AWS sends: a Cognito user-activity record (as the export writes it
 * into the log group) and a CloudWatch Logs subscription batch (gzipped JSON, base64).
 */
export function cognitoActivityRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventTimestamp: '1764583200000',
    eventSource: 'USER_AUTH_EVENTS',
    logLevel: 'INFO',
    message: {
      eventId: 'a1b2c3d4-5678-90ab-cdef-000000000001',
      eventType: 'SignIn',
      eventResponse: 'Pass',
      userSub: 'sub-ada',
      userName: 'sub-ada',
      userPoolId: 'eu-west-1_Example1',
      clientId: 'example-client',
      creationDate: 'Mon Dec 01 10:00:00 UTC 2025',
      riskDecision: 'NoRisk',
      riskLevel: 'Low',
      compromisedCredentialDetected: false,
      ipAddress: '192.0.2.10',
      deviceName: 'Chrome 142, Windows 10',
      city: 'Dublin',
      country: 'Ireland',
      hasContextData: true,
      ...overrides,
    },
  };
}

export interface LogEventInput {
  readonly id?: string;
  readonly timestamp?: number;
  readonly message: string;
}

/** The decoded batch, before gzip and base64 (to build malformed ones). */
export function subscriptionBatch(logEvents: readonly LogEventInput[], messageType = 'DATA_MESSAGE') {
  return {
    messageType,
    owner: '123456789012',
    logGroup: '/aws/vendedlogs/cognito/parley-test-sign-in-activity',
    logStream: 'user-activity',
    subscriptionFilters: ['parley-test-sign-in-activity'],
    logEvents: logEvents.map((e, i) => ({
      id: e.id ?? `3700000000000000000000000000000000000000000000000000000${i}`,
      timestamp: e.timestamp ?? 1_764_583_200_000 + i,
      message: e.message,
    })),
  };
}

/** What the function receives: `{ awslogs: { data } }` with `data` gzipped, then base64. */
export function subscriptionEvent(batch: unknown): CloudWatchLogsEvent {
  const json = typeof batch === 'string' ? batch : JSON.stringify(batch);
  return { awslogs: { data: gzipSync(Buffer.from(json, 'utf8')).toString('base64') } };
}

/** A batch of these records, each as its own log event. */
export function activityEvent(...records: Record<string, unknown>[]): CloudWatchLogsEvent {
  return subscriptionEvent(subscriptionBatch(records.map((r) => ({ message: JSON.stringify(r) }))));
}
