import { describe, expect, it } from 'vitest';

import type { TriggerName } from './cognito-api';
import { duringEmulatorCall, emulatorTriggers, withCallerOrigin, withOriginIn } from './cognito-origin';

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
