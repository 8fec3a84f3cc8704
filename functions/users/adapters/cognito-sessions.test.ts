import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsServiceError, type AwsJsonClient } from '#shared/aws/aws-json-client';
import { ServiceUnavailableError } from '#shared/errors';
import { logger } from '#shared/powertools';
import { cognitoSessions } from './cognito-sessions';

/** A Cognito client whose every call fails with `error`. */
const failingCognito = (error: unknown): AwsJsonClient => ({
  service: 'cognito-idp',
  endpoint: 'https://cognito-idp.eu-west-1.amazonaws.com/',
  call: () => Promise.reject(error),
});

afterEach(() => vi.restoreAllMocks());

describe('cognitoSessions', () => {
  it('answers 503 and logs the cause at ERROR when Cognito refuses the call (a missing IAM grant)', async () => {
    // Prepare
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const denied = new AwsServiceError(
      'AccessDeniedException',
      'User is not authorized to perform: cognito-idp:AdminUserGlobalSignOut',
      400,
      'req-1',
    );
    const sessions = cognitoSessions(failingCognito(denied), 'eu-west-1_Pool');

    // Act
    const signOut = sessions.signOutEverywhere('person@example.test');

    // Assess
    await expect(signOut).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(signOut).rejects.toMatchObject({ status: 503, retryAfterSeconds: 5 });
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({
        errorName: 'AccessDeniedException',
        errorMessage: 'User is not authorized to perform: cognito-idp:AdminUserGlobalSignOut',
        status: 400,
      }),
    );
  });

  it('logs throttling and server errors at WARN: they pass by themselves', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    for (const failure of [
      new AwsServiceError('TooManyRequestsException', 'Rate exceeded', 400, undefined),
      new AwsServiceError('InternalErrorException', 'Internal error', 500, undefined),
    ]) {
      await expect(
        cognitoSessions(failingCognito(failure), 'eu-west-1_Pool').signOutEverywhere('person@example.test'),
      ).rejects.toBeInstanceOf(ServiceUnavailableError);
    }
    expect(warn.mock.calls.map(([, details]) => (details as { errorName: string }).errorName)).toEqual([
      'TooManyRequestsException',
      'InternalErrorException',
    ]);
    expect(error).not.toHaveBeenCalled();
  });

  it('treats a user Cognito does not know as signed out already, and logs nothing', async () => {
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const unknown = new AwsServiceError('UserNotFoundException', 'User does not exist.', 400, undefined);
    await expect(
      cognitoSessions(failingCognito(unknown), 'eu-west-1_Pool').signOutEverywhere('gone@example.test'),
    ).resolves.toBeUndefined();
    expect(error).not.toHaveBeenCalled();
  });

  it('logs the message cleaned as every error line is: no credentials, no Detail line', async () => {
    // Prepare: a message quoting a URL with credentials (built from parts for the secret scan)
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const url = ['https://operator', 'cognito-secret-1@proxy.example.test/'].join(':');
    const refused = new AwsServiceError(
      'AccessDeniedException',
      `Refused through ${url}\n  Detail: row-marker`,
      400,
      undefined,
    );

    // Act
    await cognitoSessions(failingCognito(refused), 'eu-west-1_Pool')
      .signOutEverywhere('person@example.test')
      .catch(() => {});

    // Assess
    expect(error).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({
        errorName: 'AccessDeniedException',
        errorMessage: 'Refused through https://…@proxy.example.test/\n  Detail: …',
      }),
    );
  });
});
