import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';

import type { InvokeTrigger, Json, TriggerName } from './cognito-api';

/**
 * Where a call to the local Cognito came from, handed to the triggers in the shape Cognito uses:
 * `request.userContextData.ipAddress` (the `UserContextData.IpAddress` of the public sign-in calls,
 * the `ContextData.IpAddress` of the admin ones, else the connecting socket's address) and the
 * caller's User-Agent in the metadata the trigger reads.
 */
export interface CallerOrigin {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

const current = new AsyncLocalStorage<CallerOrigin>();

/** The origin of one proxied call, as the caller's context data or its connection says. */
export function callerOriginOf(req: IncomingMessage, body: Json): CallerOrigin {
  const context = (body.ContextData ?? body.UserContextData) as Json | undefined;
  const headers: unknown[] = Array.isArray(context?.HttpHeaders) ? context.HttpHeaders : [];
  // Whatever the caller sent: an entry may be anything (null too), not only a header.
  const sentAgent = (
    headers.find(
      (h) =>
        typeof h === 'object' && h !== null && String((h as Json).headerName).toLowerCase() === 'user-agent',
    ) as Json | undefined
  )?.headerValue;
  const socketIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? null;
  return {
    ipAddress: typeof context?.IpAddress === 'string' ? context.IpAddress : socketIp,
    userAgent: typeof sentAgent === 'string' ? sentAgent : (req.headers['user-agent'] ?? null),
  };
}

/** Runs one proxied call with its origin known to the triggers it causes. */
export function withCallerOrigin<T>(origin: CallerOrigin, run: () => Promise<T>): Promise<T> {
  return current.run(origin, run);
}

/** The origin of the call in progress (triggers the proxy runs itself). */
export function currentCallerOrigin(): CallerOrigin | undefined {
  return current.getStore();
}

/** A trigger event with the caller's origin added, keeping anything the caller sent itself. */
export function withOriginIn(name: TriggerName, event: unknown, origin: CallerOrigin | undefined): unknown {
  if (!origin || typeof event !== 'object' || event === null) return event;
  const e = event as { request?: Json };
  const request: Json = { ...e.request };
  if (origin.ipAddress) request.userContextData ??= { ipAddress: origin.ipAddress };
  if (origin.userAgent) {
    // Pre authentication gets the app's metadata as validationData; the others as clientMetadata.
    const field = name === 'PreAuthentication' ? 'validationData' : 'clientMetadata';
    request[field] = { userAgent: origin.userAgent, ...(request[field] as Json | null | undefined) };
  }
  return { ...e, request };
}

interface Pending {
  readonly origin: CallerOrigin | undefined;
  /** Triggers the emulator must not run for this call (the proxy runs them at the right step). */
  readonly skip: readonly TriggerName[];
}

/** The calls to cognito-local in progress, by the Cognito user name they sign in. */
const pending = new Map<string, Pending[]>();

/**
 * Runs a call to cognito-local for `username`: the triggers the emulator invokes meanwhile for that
 * user get the caller's origin, and those in `skip` are not run at all.
 */
export async function duringEmulatorCall<T>(
  username: string,
  skip: readonly TriggerName[],
  run: () => Promise<T>,
): Promise<T> {
  const entry: Pending = { origin: currentCallerOrigin(), skip };
  const list = pending.get(username) ?? [];
  pending.set(username, [...list, entry]);
  try {
    return await run();
  } finally {
    const rest = (pending.get(username) ?? []).filter((p) => p !== entry);
    if (rest.length) pending.set(username, rest);
    else pending.delete(username);
  }
}

/** The trigger endpoint cognito-local calls, with the origin and skips of the call in progress. */
export function emulatorTriggers(invoke: InvokeTrigger): InvokeTrigger {
  return async (name, event) => {
    const userName = (event as { userName?: unknown } | null)?.userName;
    const entry = typeof userName === 'string' ? pending.get(userName)?.at(-1) : undefined;
    if (entry?.skip.includes(name)) return event;
    return invoke(name, withOriginIn(name, event, entry?.origin));
  };
}
