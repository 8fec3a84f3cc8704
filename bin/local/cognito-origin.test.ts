import type { IncomingMessage } from 'node:http';

import { describe, expect, it } from 'vitest';

import type { TriggerName } from './cognito-api';
import {
  callerOriginOf,
  currentCallerOrigin,
  duringEmulatorCall,
  emulatorTriggers,
  withCallerOrigin,
  withOriginIn,
} from './cognito-origin';

const origin = { ipAddress: '127.0.0.1', userAgent: 'parley-test/1' };
const event = (userName: string, request: Record<string, unknown> = {}) => ({
  userName,
  request: { userAttributes: {}, ...request },
});

function recorder() {
  const calls: { name: TriggerName; event: unknown }[] = [];
  const invoke = emulatorTriggers(async (name, e) => {
    calls.push({ name, event: e });
    return e;
  });
  return { calls, invoke };
}

describe('the caller origin handed to the triggers', () => {
  it('puts the address in userContextData and the user agent in the metadata the trigger reads', () => {
    expect(withOriginIn('PreAuthentication', event('u'), origin)).toMatchObject({
      request: {
        userContextData: { ipAddress: '127.0.0.1' },
        validationData: { userAgent: 'parley-test/1' },
      },
    });
    expect(withOriginIn('PostAuthentication', event('u'), origin)).toMatchObject({
      request: {
        userContextData: { ipAddress: '127.0.0.1' },
        clientMetadata: { userAgent: 'parley-test/1' },
      },
    });
  });

  it('keeps what the caller sent itself, and changes nothing without an origin', () => {
    const sent = event('u', {
      userContextData: { ipAddress: '192.0.2.9' },
      clientMetadata: { userAgent: 'app/2' },
    });
    expect(withOriginIn('PostAuthentication', sent, origin)).toEqual(sent);
    expect(withOriginIn('PostAuthentication', event('u'), undefined)).toEqual(event('u'));
  });

  it('gives the triggers the emulator runs during a call the origin of that call, for that user only', async () => {
    const { calls, invoke } = recorder();
    await withCallerOrigin(origin, () =>
      duringEmulatorCall('alice', [], async () => {
        await invoke('PostAuthentication', event('alice'));
        await invoke('PostAuthentication', event('bob'));
      }),
    );
    await invoke('PostAuthentication', event('alice'));
    expect(
      calls.map((c) => (c.event as { request: Record<string, unknown> }).request.userContextData),
    ).toEqual([{ ipAddress: '127.0.0.1' }, undefined, undefined]);
  });

  it('does not run a trigger the call skips (PostAuthentication before the TOTP set-up), and only during it', async () => {
    const { calls, invoke } = recorder();
    await duringEmulatorCall('alice', ['PostAuthentication'], async () => {
      await invoke('PostAuthentication', event('alice'));
      await invoke('PreTokenGeneration', event('alice'));
    });
    await invoke('PostAuthentication', event('alice'));
    expect(calls.map((c) => c.name)).toEqual(['PreTokenGeneration', 'PostAuthentication']);
  });
});

describe('where a call came from', () => {
  const request = (remoteAddress: string | undefined, userAgent?: string) =>
    ({
      socket: { remoteAddress },
      headers: userAgent === undefined ? {} : { 'user-agent': userAgent },
    }) as unknown as IncomingMessage;
  const agentHeader = (value: unknown) => [{ headerName: 'User-Agent', headerValue: value }];

  it('takes the connection: its IPv4 address without the IPv6 prefix, and its User-Agent', () => {
    expect(callerOriginOf(request('::ffff:192.0.2.7', 'Mozilla/5.0'), {})).toEqual({
      ipAddress: '192.0.2.7',
      userAgent: 'Mozilla/5.0',
    });
    expect(callerOriginOf(request('::1'), {})).toEqual({ ipAddress: '::1', userAgent: null });
    // A socket already closed has no address.
    expect(callerOriginOf(request(undefined), {})).toEqual({ ipAddress: null, userAgent: null });
  });

  it("prefers the context data a server sends for its own caller (admin calls), then the app's", () => {
    const viaServer = {
      ContextData: { IpAddress: '198.51.100.4', HttpHeaders: agentHeader('browser/1') },
      UserContextData: { IpAddress: '203.0.113.9' },
    };
    expect(callerOriginOf(request('127.0.0.1', 'parley-api'), viaServer)).toEqual({
      ipAddress: '198.51.100.4',
      userAgent: 'browser/1',
    });
    expect(
      callerOriginOf(request('127.0.0.1', 'parley-api'), { UserContextData: { IpAddress: '203.0.113.9' } }),
    ).toEqual({ ipAddress: '203.0.113.9', userAgent: 'parley-api' });
  });

  it.each([
    ['headers that are no list', { IpAddress: 42, HttpHeaders: { 'user-agent': 'forged' } }],
    [
      'a User-Agent that is no string',
      { IpAddress: ['10.0.0.1'], HttpHeaders: agentHeader({ toString: 1 }) },
    ],
    [
      'header entries that are no headers',
      { HttpHeaders: [null, 'User-Agent', {}, { headerName: '__proto__' }] },
    ],
  ])('falls back to the connection for context data with %s', (_what, context) => {
    expect(callerOriginOf(request('127.0.0.1', 'curl/8'), { ContextData: context })).toEqual({
      ipAddress: '127.0.0.1',
      userAgent: 'curl/8',
    });
  });

  it('leaves an event that is no object, or an origin with nothing known, as it is', () => {
    expect(withOriginIn('PostAuthentication', null, origin)).toBeNull();
    expect(withOriginIn('PostAuthentication', 'event', origin)).toBe('event');
    expect(withOriginIn('PreAuthentication', event('u'), { ipAddress: null, userAgent: null })).toEqual(
      event('u'),
    );
  });

  it('is known to the triggers of the call in progress only', async () => {
    expect(currentCallerOrigin()).toBeUndefined();
    await withCallerOrigin(origin, async () => {
      expect(currentCallerOrigin()).toEqual(origin);
    });
  });

  it('passes an event without a user name through untouched', async () => {
    const { calls, invoke } = recorder();
    await invoke('PreTokenGeneration', null);
    await invoke('PreTokenGeneration', { userName: 42 });
    expect(calls.map((c) => c.event)).toEqual([null, { userName: 42 }]);
  });

  it('keeps the origin of a call still in progress when another for the same user ends first', async () => {
    const { calls, invoke } = recorder();
    const other = { ipAddress: '192.0.2.1', userAgent: 'other/1' };
    let endInner!: () => void;
    const innerRunning = new Promise<void>((resolve) => {
      endInner = resolve;
    });
    await withCallerOrigin(origin, () =>
      duringEmulatorCall('alice', [], async () => {
        const inner = withCallerOrigin(other, () =>
          duringEmulatorCall('alice', ['PostAuthentication'], () => innerRunning),
        );
        // The latest call decides meanwhile (it skips PostAuthentication)...
        await invoke('PostAuthentication', event('alice'));
        endInner();
        await inner;
        // ...and once it ends, the one still running does.
        await invoke('PostAuthentication', event('alice'));
      }),
    );
    expect(
      calls.map((c) => (c.event as { request: Record<string, unknown> }).request.userContextData),
    ).toEqual([{ ipAddress: '127.0.0.1' }]);
  });
});
