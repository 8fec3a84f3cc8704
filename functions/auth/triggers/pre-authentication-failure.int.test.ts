import type { PreAuthenticationTriggerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeSql } from '#shared/db/sql-database';
import { resetConfig } from '#shared/config';
import { SIGN_IN_UNAVAILABLE_MESSAGE } from '../domain/sign-in';
import { resetTriggerDependencies } from './dependencies';
import { handler as preAuthentication } from './pre-authentication';

const event = (userName: string): PreAuthenticationTriggerEvent =>
  ({
    version: '1',
    region: 'local',
    userPoolId: 'local_Triggers1',
    userName,
    callerContext: { awsSdkVersion: 'test', clientId: 'test-client' },
    triggerSource: 'PreAuthentication_Authentication',
    request: { userAttributes: { email: userName }, validationData: {} },
    response: {},
  }) as unknown as PreAuthenticationTriggerEvent;

describe('pre-authentication when its own dependencies fail', () => {
  beforeAll(() => {
    // A database nobody listens on: the check cannot run.
    Object.assign(process.env, {
      STAGE: 'test',
      DB_DRIVER: 'pg',
      DATABASE_URL: 'postgres://parley@127.0.0.1:1/none',
      COGNITO_USER_POOL_ID: 'local_Triggers1',
      COGNITO_CLIENT_IDS: 'test-client',
      WEB_ORIGIN: 'http://localhost:5173',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    resetConfig();
    resetTriggerDependencies();
  });
  afterAll(() => closeSql());

  it.each([
    ['the database is down', 'ada@example.test'],
    ['the user name holds a NUL byte', 'ada\u0000@example.test'],
  ])('refuses with a generic message, never the cause, when %s', async (_case, userName) => {
    const error = await preAuthentication(event(userName)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(SIGN_IN_UNAVAILABLE_MESSAGE);
    expect((error as Error).message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|byte sequence/);
  });
});
