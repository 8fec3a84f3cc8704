import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import type { AuditEvent } from '#shared/audit/audit-log';
import { activityEvent, cognitoActivityRecord, subscriptionBatch, subscriptionEvent } from './fixtures';
import { recordSignInActivity } from './record-sign-in-activity';
import {
  ACTIVITY_LIMITS,
  activityAuditId,
  decodeSubscriptionPayload,
  parseActivityEvent,
  type RawLogEvent,
  SIGN_IN_ACTIVITY_ACTION,
  signInActivityAuditEvent,
} from './sign-in-activity';
import type { SignInActivityLog } from './sign-in-activity-log';

const logEvent = (message: unknown, timestamp: number | null = 1_764_583_200_000): RawLogEvent => ({
  id: 'log-event-1',
  timestamp,
  message: typeof message === 'string' ? message : JSON.stringify(message),
});

function parsedSignIn(message: unknown) {
  const parsed = parseActivityEvent(logEvent(message));
  if (parsed.kind !== 'sign-in') throw new Error(`expected a sign-in, got ${JSON.stringify(parsed)}`);
  return parsed.activity;
}

/** An in-memory trail with the same once-per-id rule as the table's primary key. */
function memoryLog() {
  const rows = new Map<string, AuditEvent>();
  const log: SignInActivityLog = {
    recordOnce: (id, event) => {
      if (rows.has(id)) return Promise.resolve(false);
      rows.set(id, event);
      return Promise.resolve(true);
    },
  };
  return { rows, log };
}

describe('decodeSubscriptionPayload', () => {
  it('unpacks a gzipped, base64 CloudWatch Logs batch', () => {
    const batch = decodeSubscriptionPayload(activityEvent(cognitoActivityRecord(), cognitoActivityRecord()));
    expect(batch).toMatchObject({
      kind: 'data',
      logGroup: '/aws/vendedlogs/cognito/parley-test-sign-in-activity',
      malformed: 0,
    });
    expect(batch.kind === 'data' && batch.logEvents.map((e) => e.timestamp)).toEqual([
      1_764_583_200_000, 1_764_583_200_001,
    ]);
  });

  it('has nothing to record in the control message CloudWatch Logs sends to check the destination', () => {
    expect(decodeSubscriptionPayload(subscriptionEvent(subscriptionBatch([], 'CONTROL_MESSAGE')))).toEqual({
      kind: 'control',
    });
  });

  it.each([
    ['no awslogs at all', {}, 'no awslogs.data'],
    ['an empty data field', { awslogs: { data: '' } }, 'no awslogs.data'],
    ['data that is not a string', { awslogs: { data: 42 } }, 'no awslogs.data'],
    [
      'base64 that is not gzip',
      { awslogs: { data: Buffer.from('plain text').toString('base64') } },
      'not gzip',
    ],
    ['gzip that is not JSON', subscriptionEvent('not json {'), 'not a JSON object'],
    ['a JSON array', subscriptionEvent('[1,2]'), 'not a JSON object'],
    [
      'an unknown messageType',
      subscriptionEvent({ messageType: 'OTHER', logEvents: [] }),
      'unknown messageType',
    ],
    ['no logEvents', subscriptionEvent({ messageType: 'DATA_MESSAGE' }), 'no logEvents'],
    ['null', null, 'no awslogs.data'],
  ])('reports %s as malformed', (_, input, reason) => {
    const batch = decodeSubscriptionPayload(input);
    expect(batch.kind).toBe('malformed');
    expect(batch.kind === 'malformed' && batch.reason).toContain(reason);
  });

  it('refuses a batch that decompresses beyond the limit (a gzip bomb) without inflating it all', () => {
    const bomb = gzipSync(Buffer.alloc(ACTIVITY_LIMITS.payloadBytes + 1, 0x20)).toString('base64');
    expect(bomb.length).toBeLessThan(100_000);
    expect(decodeSubscriptionPayload({ awslogs: { data: bomb } })).toEqual({
      kind: 'malformed',
      reason: 'awslogs.data too large',
    });
  });

  it('counts entries that are not log events and keeps the others', () => {
    const batch = decodeSubscriptionPayload(
      subscriptionEvent({
        messageType: 'DATA_MESSAGE',
        logGroup: 'g',
        logEvents: [
          null,
          7,
          { id: 'x', timestamp: 1, message: 12 },
          { id: 'y', timestamp: 'soon', message: '{}' },
        ],
      }),
    );
    expect(batch).toEqual({
      kind: 'data',
      logGroup: 'g',
      logEvents: [{ id: 'y', timestamp: null, message: '{}' }],
      malformed: 3,
    });
  });
});

describe('parseActivityEvent', () => {
  it('reads a sign-in of the export: event, risk, user, address, device, place and time', () => {
    expect(parsedSignIn(cognitoActivityRecord())).toEqual({
      eventId: 'a1b2c3d4-5678-90ab-cdef-000000000001',
      eventType: 'SignIn',
      eventResponse: 'Pass',
      riskDecision: 'NoRisk',
      riskLevel: 'Low',
      compromisedCredentialsDetected: false,
      userSub: 'sub-ada',
      userName: 'sub-ada',
      ipAddress: '192.0.2.10',
      deviceName: 'Chrome 142, Windows 10',
      city: 'Dublin',
      country: 'Ireland',
      occurredAt: '2025-12-01T10:00:00.000Z',
    });
  });

  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
    ['TRUE', null],
    ['yes', null],
    ['', null],
    [1, null],
    [0, null],
    [null, null],
  ])('reads compromisedCredentialDetected %j as %j', (sent, read) => {
    const record = cognitoActivityRecord({ compromisedCredentialDetected: sent });
    expect(parsedSignIn(record).compromisedCredentialsDetected).toBe(read);
  });

  it('reads the context and risk nested under eventContextData and eventRisk too', () => {
    const nested = {
      message: {
        eventId: 'evt-nested',
        eventType: 'SignIn',
        eventResponse: 'Fail',
        eventRisk: {
          riskDecision: 'AccountTakeover',
          riskLevel: 'High',
          compromisedCredentialsDetected: 'true',
        },
        eventContextData: {
          ipAddress: '2001:db8::1',
          deviceName: 'Firefox 140, Linux',
          city: 'Lyon',
          country: 'France',
        },
        userName: 'Someone@Example.com',
      },
    };
    expect(parsedSignIn(nested)).toMatchObject({
      eventResponse: 'Fail',
      riskDecision: 'AccountTakeover',
      riskLevel: 'High',
      compromisedCredentialsDetected: true,
      ipAddress: '2001:db8::1',
      deviceName: 'Firefox 140, Linux',
      city: 'Lyon',
      country: 'France',
      userSub: null,
    });
  });

  it('accepts the event as JSON text in message, and takes the time from eventTimestamp without a log time', () => {
    const record = cognitoActivityRecord();
    const parsed = parseActivityEvent(logEvent({ ...record, message: JSON.stringify(record.message) }, null));
    expect(parsed).toMatchObject({
      kind: 'sign-in',
      activity: { eventId: 'a1b2c3d4-5678-90ab-cdef-000000000001', occurredAt: '2025-12-01T10:00:00.000Z' },
    });
  });

  it('gives null for what Cognito left empty or null', () => {
    const activity = parsedSignIn(
      cognitoActivityRecord({ ipAddress: '', deviceName: null, city: '   ', riskLevel: '', country: 7 }),
    );
    expect(activity).toMatchObject({
      ipAddress: null,
      deviceName: null,
      city: null,
      riskLevel: null,
      country: null,
    });
  });

  it('ignores activity that is not a sign-in', () => {
    for (const eventType of ['SignUp', 'ForgotPassword', 'PasswordChange', 'ResendCode']) {
      expect(parseActivityEvent(logEvent(cognitoActivityRecord({ eventType })))).toEqual({
        kind: 'ignored',
        eventType,
      });
    }
    expect(parseActivityEvent(logEvent(cognitoActivityRecord({ eventType: 'SIGN_IN' }))).kind).toBe(
      'sign-in',
    );
  });

  it.each([
    ['text that is not JSON', 'not json', 'not a JSON object'],
    ['a JSON array', '[]', 'not a JSON object'],
    ['a message that is neither object nor JSON text', { message: 'nope' }, 'message is not a JSON object'],
    ['no event id', cognitoActivityRecord({ eventId: undefined }), 'no eventId'],
    ['an event id that is not a string', cognitoActivityRecord({ eventId: 12 }), 'no eventId'],
    [
      'an event id of control characters only',
      cognitoActivityRecord({ eventId: '\u0000\u0001' }),
      'no eventId',
    ],
    ['an overlong event id', cognitoActivityRecord({ eventId: 'e'.repeat(129) }), 'eventId too long'],
    ['no event type', cognitoActivityRecord({ eventType: undefined }), 'no eventType'],
    ['an oversized record', 'x'.repeat(ACTIVITY_LIMITS.messageChars + 1), 'oversized'],
  ])('reports %s as malformed', (_, message, reason) => {
    expect(parseActivityEvent(logEvent(message))).toEqual({ kind: 'malformed', reason });
  });

  it('cleans hostile values as the triggers do: no NUL or control characters, bounded length', () => {
    const activity = parsedSignIn(
      cognitoActivityRecord({
        eventId: 'evt\u0000-1\n',
        ipAddress: '198.51.100.7\u0000\r\nX-Injected: yes',
        deviceName: `Bot\u0000${'A'.repeat(10_000)}`,
        city: '\u001b[31mRed',
      }),
    );
    expect(activity.eventId).toBe('evt-1');
    expect(activity.ipAddress).toBe('198.51.100.7X-Injected: yes');
    expect(activity.deviceName).toHaveLength(ACTIVITY_LIMITS.valueChars);
    expect(activity.deviceName?.startsWith('BotAAA')).toBe(true);
    expect(activity.city).toBe('[31mRed');
  });

  it('reads own properties only: __proto__ and inherited names give nothing', () => {
    const hostile =
      '{"message":{"__proto__":{"eventId":"from-proto","ipAddress":"203.0.113.9"},"eventType":"SignIn"}}';
    expect(parseActivityEvent(logEvent(hostile))).toEqual({ kind: 'malformed', reason: 'no eventId' });
    const polluted = parsedSignIn(
      '{"message":{"eventId":"e1","eventType":"SignIn","eventContextData":{"__proto__":{"ipAddress":"203.0.113.9"}}}}',
    );
    expect(polluted.ipAddress).toBeNull();
    expect(({} as Record<string, unknown>).ipAddress).toBeUndefined();
  });

  it('ignores an implausible time', () => {
    expect(parsedSignIn(cognitoActivityRecord()).occurredAt).not.toBeNull();
    const record = { ...cognitoActivityRecord(), eventTimestamp: 'yesterday' };
    expect(parseActivityEvent(logEvent(record, Number.NaN))).toMatchObject({
      activity: { occurredAt: null },
    });
    expect(parseActivityEvent(logEvent(record, -5))).toMatchObject({ activity: { occurredAt: null } });
  });
});

describe('signInActivityAuditEvent', () => {
  it('records the user as actor and target, the address and device as the source', () => {
    expect(signInActivityAuditEvent(parsedSignIn(cognitoActivityRecord()))).toEqual({
      actorId: 'sub-ada',
      action: SIGN_IN_ACTIVITY_ACTION,
      targetType: 'user',
      targetId: 'sub-ada',
      sourceIp: '192.0.2.10',
      userAgent: 'Chrome 142, Windows 10',
      details: {
        eventId: 'a1b2c3d4-5678-90ab-cdef-000000000001',
        eventType: 'SignIn',
        eventResponse: 'Pass',
        riskDecision: 'NoRisk',
        riskLevel: 'Low',
        compromisedCredentialsDetected: false,
        city: 'Dublin',
        country: 'Ireland',
        occurredAt: '2025-12-01T10:00:00.000Z',
      },
    });
  });

  it('records an unknown account with a null actor and the name as typed, lower-cased', () => {
    const event = signInActivityAuditEvent(
      parsedSignIn(
        cognitoActivityRecord({
          userSub: undefined,
          userName: ' Nobody@Example.COM ',
          eventResponse: 'Fail',
        }),
      ),
    );
    expect(event.actorId).toBeNull();
    expect(event).not.toHaveProperty('targetId');
    expect(event.details).toMatchObject({ username: 'nobody@example.com', eventResponse: 'Fail' });
  });

  it('leaves out what Cognito did not say', () => {
    const event = signInActivityAuditEvent(
      parsedSignIn({ message: { eventId: 'e-min', eventType: 'SignIn', userSub: 'sub-1' } }),
    );
    // The time is the log event's, which CloudWatch Logs always gives.
    expect(event.details).toEqual({
      eventId: 'e-min',
      eventType: 'SignIn',
      occurredAt: '2025-12-01T10:00:00.000Z',
    });
    expect(event.sourceIp).toBeNull();
    expect(event.userAgent).toBeNull();
  });
});

describe('activityAuditId', () => {
  it('is the same UUID for the same event and another for another event', () => {
    const id = activityAuditId('a1b2c3d4-5678-90ab-cdef-000000000001');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(activityAuditId('a1b2c3d4-5678-90ab-cdef-000000000001')).toBe(id);
    expect(activityAuditId('a1b2c3d4-5678-90ab-cdef-000000000002')).not.toBe(id);
  });
});

describe('recordSignInActivity', () => {
  it('appends each sign-in once, ignores other activity and counts malformed records', async () => {
    const { rows, log } = memoryLog();
    const batch = subscriptionEvent(
      subscriptionBatch([
        { message: JSON.stringify(cognitoActivityRecord()) },
        { message: JSON.stringify(cognitoActivityRecord({ eventId: 'evt-2', eventResponse: 'Fail' })) },
        { message: JSON.stringify(cognitoActivityRecord({ eventId: 'evt-3', eventType: 'SignUp' })) },
        { message: '\u0000garbage' },
        { message: JSON.stringify(cognitoActivityRecord({ eventId: 'evt-2' })) },
      ]),
    );
    expect(await recordSignInActivity(batch, log)).toEqual({
      recorded: 2,
      duplicates: 1,
      ignored: 1,
      malformed: 1,
    });
    expect([...rows.values()].map((e) => e.details?.eventId)).toEqual([
      'a1b2c3d4-5678-90ab-cdef-000000000001',
      'evt-2',
    ]);
    expect(await recordSignInActivity(batch, log)).toEqual({
      recorded: 0,
      duplicates: 3,
      ignored: 1,
      malformed: 1,
    });
    expect(rows.size).toBe(2);
  });

  it('never throws on a malformed batch', async () => {
    const { log } = memoryLog();
    for (const input of [undefined, null, 'x', { awslogs: { data: '%%%' } }, { awslogs: { data: ['a'] } }]) {
      expect(await recordSignInActivity(input, log)).toEqual({
        recorded: 0,
        duplicates: 0,
        ignored: 0,
        malformed: 1,
      });
    }
    expect(
      await recordSignInActivity(subscriptionEvent(subscriptionBatch([], 'CONTROL_MESSAGE')), log),
    ).toEqual({
      recorded: 0,
      duplicates: 0,
      ignored: 0,
      malformed: 0,
    });
  });

  it('lets a database failure through, so the batch is retried', async () => {
    const failing: SignInActivityLog = {
      recordOnce: () => Promise.reject(new Error('database unavailable')),
    };
    await expect(recordSignInActivity(activityEvent(cognitoActivityRecord()), failing)).rejects.toThrow(
      'database unavailable',
    );
  });
});
