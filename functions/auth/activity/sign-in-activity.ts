import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import type { AuditEvent } from '#shared/audit/audit-log';
import { cleanOriginPart } from '#shared/audit/request-origin';
import { attemptKey } from '../domain/attempt-key';

/**
 * Cognito's user-activity export (threat protection, `userAuthEvents`) as it reaches us: a
 * CloudWatch Logs subscription batch (gzipped JSON, base64 in `awslogs.data`) whose log events
 * each carry one exported event as JSON. Everything here is input from outside: nothing throws,
 * every value is cleaned and bounded, unknown shapes are reported as malformed.
 */

export const SIGN_IN_ACTIVITY_ACTION = 'auth.sign-in-activity';

export const ACTIVITY_LIMITS = {
  /** Decompressed batch. CloudWatch Logs sends at most about 1 MB of log data per batch. */
  payloadBytes: 8 * 1024 * 1024,
  /** One exported event (a few hundred bytes in practice). */
  messageChars: 64 * 1024,
  eventIdChars: 128,
  /** Names, decisions, places: short words in practice. */
  valueChars: 256,
} as const;

/** One log event of a subscription batch, before its message is read. */
export interface RawLogEvent {
  readonly id: string | null;
  readonly timestamp: number | null;
  readonly message: string;
}

export type DecodedBatch =
  | {
      readonly kind: 'data';
      readonly logGroup: string | null;
      readonly logEvents: readonly RawLogEvent[];
      /** Entries of `logEvents` that were not log events at all. */
      readonly malformed: number;
    }
  /** CloudWatch Logs checks that the destination is reachable: nothing to record. */
  | { readonly kind: 'control' }
  | { readonly kind: 'malformed'; readonly reason: string };

/** One sign-in as Cognito recorded it, every value cleaned (null: not given). */
export interface SignInActivity {
  readonly eventId: string;
  readonly eventType: string;
  /** Pass, Fail or InProgress (a challenge such as MFA follows). */
  readonly eventResponse: string | null;
  /** NoRisk, AccountTakeover or Block. */
  readonly riskDecision: string | null;
  /** Low, Medium or High. */
  readonly riskLevel: string | null;
  readonly compromisedCredentialsDetected: boolean | null;
  /** The user's `sub` (our user id); absent for a name that matches no account. */
  readonly userSub: string | null;
  readonly userName: string | null;
  readonly ipAddress: string | null;
  /** Cognito's reading of the user agent, e.g. "Chrome 125, Windows 10". */
  readonly deviceName: string | null;
  readonly city: string | null;
  readonly country: string | null;
  /** When Cognito logged it (ISO 8601). */
  readonly occurredAt: string | null;
}

export type ActivityParse =
  | { readonly kind: 'sign-in'; readonly activity: SignInActivity }
  /** Another kind of user activity (sign-up, password change, ...): not a sign-in. */
  | { readonly kind: 'ignored'; readonly eventType: string }
  | { readonly kind: 'malformed'; readonly reason: string };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: `__proto__`, `constructor` and the like never come from the prototype. */
function own(value: unknown, key: string): unknown {
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** The first of `keys` that `value` has (own properties only). */
function first(value: unknown, ...keys: string[]): unknown {
  for (const key of keys) {
    const found = own(value, key);
    if (found !== undefined && found !== null) return found;
  }
  return undefined;
}

/** A printable, trimmed, bounded string, or null (what trigger-origin.ts stores too). */
function text(value: unknown, max: number = ACTIVITY_LIMITS.valueChars): string | null {
  return cleanOriginPart(value, max);
}

function flag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return null;
}

function parseJson(textValue: string): unknown {
  try {
    return JSON.parse(textValue) as unknown;
  } catch {
    return undefined;
  }
}

/** A time in milliseconds since the epoch as ISO 8601, if it is a plausible one. */
function isoTime(value: unknown): string | null {
  const ms = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return null;
  return new Date(ms).toISOString();
}

/** Unpacks a subscription batch (`{ awslogs: { data } }`). */
export function decodeSubscriptionPayload(event: unknown): DecodedBatch {
  const data = own(own(event, 'awslogs'), 'data');
  if (typeof data !== 'string' || data.length === 0) return { kind: 'malformed', reason: 'no awslogs.data' };
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64'), {
      maxOutputLength: ACTIVITY_LIMITS.payloadBytes,
    }).toString('utf8');
  } catch (error) {
    const tooLarge =
      error instanceof RangeError || (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
    return { kind: 'malformed', reason: tooLarge ? 'awslogs.data too large' : 'awslogs.data is not gzip' };
  }
  const batch = parseJson(json);
  if (!isObject(batch)) return { kind: 'malformed', reason: 'awslogs.data is not a JSON object' };
  const messageType = own(batch, 'messageType');
  if (messageType === 'CONTROL_MESSAGE') return { kind: 'control' };
  if (messageType !== 'DATA_MESSAGE') return { kind: 'malformed', reason: 'unknown messageType' };
  const entries = own(batch, 'logEvents');
  if (!Array.isArray(entries)) return { kind: 'malformed', reason: 'no logEvents' };
  const logEvents: RawLogEvent[] = [];
  for (const entry of entries as unknown[]) {
    const message = own(entry, 'message');
    if (typeof message !== 'string') continue;
    const timestamp = own(entry, 'timestamp');
    logEvents.push({
      id: text(own(entry, 'id'), ACTIVITY_LIMITS.valueChars),
      timestamp: typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : null,
      message,
    });
  }
  return {
    kind: 'data',
    logGroup: text(own(batch, 'logGroup'), 512),
    logEvents,
    malformed: entries.length - logEvents.length,
  };
}

/**
 * Reads one exported event. The record wraps the event in `message` (an object, or JSON text);
 * the event's context (`ipAddress`, `deviceName`, `city`, `country`) and risk (`riskDecision`,
 * `riskLevel`) are read at its top level or under `eventContextData` / `eventRisk`, the two
 * layouts Cognito uses for the same fields (the export and AdminListUserAuthEvents).
 */
export function parseActivityEvent(logEvent: RawLogEvent): ActivityParse {
  if (logEvent.message.length > ACTIVITY_LIMITS.messageChars)
    return { kind: 'malformed', reason: 'oversized' };
  const record = parseJson(logEvent.message);
  if (!isObject(record)) return { kind: 'malformed', reason: 'not a JSON object' };
  const wrapped = own(record, 'message');
  const body = typeof wrapped === 'string' ? parseJson(wrapped) : (wrapped ?? record);
  if (!isObject(body)) return { kind: 'malformed', reason: 'message is not a JSON object' };

  const eventId = text(own(body, 'eventId'), ACTIVITY_LIMITS.eventIdChars + 1);
  if (!eventId) return { kind: 'malformed', reason: 'no eventId' };
  if (eventId.length > ACTIVITY_LIMITS.eventIdChars) return { kind: 'malformed', reason: 'eventId too long' };
  const eventType = text(own(body, 'eventType'));
  if (!eventType) return { kind: 'malformed', reason: 'no eventType' };
  if (eventType.replace(/[_\s-]/g, '').toLowerCase() !== 'signin') return { kind: 'ignored', eventType };

  const context = own(body, 'eventContextData');
  const risk = own(body, 'eventRisk');
  const inContext = (key: string) => text(first(body, key) ?? own(context, key));
  const inRisk = (key: string) => text(first(body, key) ?? own(risk, key));
  return {
    kind: 'sign-in',
    activity: {
      eventId,
      eventType,
      eventResponse: text(own(body, 'eventResponse')),
      riskDecision: inRisk('riskDecision'),
      riskLevel: inRisk('riskLevel'),
      compromisedCredentialsDetected: flag(
        first(body, 'compromisedCredentialDetected', 'compromisedCredentialsDetected') ??
          own(risk, 'compromisedCredentialsDetected'),
      ),
      userSub: text(first(body, 'userSub', 'sub')),
      userName: text(first(body, 'userName', 'username')),
      ipAddress: inContext('ipAddress'),
      deviceName: inContext('deviceName'),
      city: inContext('city'),
      country: inContext('country'),
      occurredAt: isoTime(logEvent.timestamp) ?? isoTime(own(record, 'eventTimestamp')),
    },
  };
}

/**
 * The audit row's id for a Cognito event: the same event always gets the same id, so a batch
 * delivered twice adds nothing the second time (the primary key refuses it; no row changes). A
 * SHA-256 of the action and the event id, laid out as an RFC 9562 version 8 UUID.
 */
export function activityAuditId(eventId: string): string {
  const hash = createHash('sha256').update(`${SIGN_IN_ACTIVITY_ACTION}\u0000${eventId}`).digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x80, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The audit event for a sign-in: the user as actor and target (a null actor for a name that
 * matches no account, with the name as typed, as the triggers record unknown accounts), and
 * the address and device Cognito saw as its source.
 */
export function signInActivityAuditEvent(activity: SignInActivity): AuditEvent {
  const details: Record<string, unknown> = { eventId: activity.eventId, eventType: activity.eventType };
  const optional = {
    eventResponse: activity.eventResponse,
    riskDecision: activity.riskDecision,
    riskLevel: activity.riskLevel,
    compromisedCredentialsDetected: activity.compromisedCredentialsDetected,
    city: activity.city,
    country: activity.country,
    occurredAt: activity.occurredAt,
    username: activity.userSub === null && activity.userName ? attemptKey(activity.userName) : null,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== null) details[key] = value;
  return {
    actorId: activity.userSub,
    action: SIGN_IN_ACTIVITY_ACTION,
    targetType: 'user',
    ...(activity.userSub ? { targetId: activity.userSub } : {}),
    sourceIp: activity.ipAddress,
    userAgent: activity.deviceName,
    details,
  };
}
