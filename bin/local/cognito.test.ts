import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { answerStarting, poolTokenEvent } from './cognito';

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

describe('answerStarting', () => {
  it("lets the web app's preflight pass and answers 503 in Cognito's error shape with Retry-After, nosniff and CORS for the web origin", async () => {
    // Prepare: a proxy that is still starting
    const webOrigin = 'http://127.0.0.1:3000';
    const server = createServer((req, res) => answerStarting(req, res, webOrigin));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    try {
      // Act: the web app's preflight and call, and a call from elsewhere
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          Origin: webOrigin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type, x-amz-target',
        },
      });
      const fromWebApp = await fetch(url, {
        method: 'POST',
        headers: { Origin: webOrigin, 'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
        body: '{}',
      });
      const fromElsewhere = await fetch(url, { headers: { Origin: 'https://evil.example' } });

      // Assess
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(webOrigin);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('x-amz-target');
      expect(fromWebApp.status).toBe(503);
      expect(Object.fromEntries(fromWebApp.headers)).toMatchObject({
        'retry-after': '1',
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'ServiceUnavailableException:',
        'x-content-type-options': 'nosniff',
        'access-control-allow-origin': webOrigin,
      });
      expect(fromWebApp.headers.get('access-control-expose-headers')).toContain('retry-after');
      expect(await fromWebApp.json()).toEqual({
        __type: 'ServiceUnavailableException',
        message: 'The local Cognito is starting; try again in a moment.',
      });
      expect(fromElsewhere.status).toBe(503);
      expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
      expect(fromElsewhere.headers.get('retry-after')).toBe('1');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
