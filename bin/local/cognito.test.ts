import { describe, expect, it } from 'vitest';
import { poolTokenEvent } from './cognito';

/** What cognito-local sends its PreTokenGeneration trigger: the V1 shape, version "0". */
const emulatorEvent = {
  version: '0',
  callerContext: { awsSdkVersion: '2.x', clientId: 'client' },
  region: 'local',
  userPoolId: 'local_pool',
  triggerSource: 'TokenGeneration_Authentication',
  userName: 'a@example.test',
  request: {
    userAttributes: { sub: 's', email: 'a@example.test' },
    groupConfiguration: {},
    clientMetadata: { k: 'v' },
  },
  response: { claimsOverrideDetails: {} },
};

describe('poolTokenEvent', () => {
  it("makes the emulator's event into the one the pool's V2_0 trigger gets", () => {
    expect(poolTokenEvent(emulatorEvent)).toEqual({
      version: '2',
      callerContext: { awsSdkVersion: '2.x', clientId: 'client' },
      region: 'local',
      userPoolId: 'local_pool',
      triggerSource: 'TokenGeneration_Authentication',
      userName: 'a@example.test',
      request: {
        userAttributes: { sub: 's', email: 'a@example.test' },
        groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
        clientMetadata: { k: 'v' },
        scopes: ['aws.cognito.signin.user.admin'],
      },
      response: { claimsAndScopeOverrideDetails: null },
    });
  });

  it('keeps the groups it was given, and no malformed or prototype-keyed part', () => {
    const given = poolTokenEvent({
      ...emulatorEvent,
      request: { groupConfiguration: { groupsToOverride: ['members'], preferredRole: 'arn:role' } },
    });
    expect(given.request).toMatchObject({
      groupConfiguration: {
        groupsToOverride: ['members'],
        iamRolesToOverride: [],
        preferredRole: 'arn:role',
      },
    });
    const hostile = poolTokenEvent(
      JSON.parse(
        '{"__proto__":{"polluted":true},"request":{"groupConfiguration":{"groupsToOverride":"admins","iamRolesToOverride":{"0":"x"}}},"response":{"constructor":1}}',
      ) as Record<string, unknown>,
    );
    expect(hostile.request).toMatchObject({
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
    });
    expect(hostile.response).toEqual({ claimsAndScopeOverrideDetails: null });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // No request at all still makes a whole event.
    expect(poolTokenEvent({}).request).toEqual({
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
      scopes: ['aws.cognito.signin.user.admin'],
    });
  });
});
