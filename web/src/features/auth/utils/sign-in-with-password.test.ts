import { afterEach, describe, expect, it, vi } from 'vitest';

import { signInWithPassword } from '@/features/auth/utils/sign-in-with-password';
import type { SignInCalls } from '@/features/auth/utils/sign-in-with-password';
import { configureAmplify } from '@/lib/amplify';

const config = { region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123', clientId: '4abc', apiUrl: '/api' };

interface CognitoCall {
  readonly url: string;
  readonly target: string | null;
  readonly body: { AuthFlow?: string; AuthParameters?: Record<string, string> };
}

/** Answers every Cognito call with a wrong-password error and records what was asked. */
function recordCognitoCalls(): CognitoCall[] {
  const calls: CognitoCall[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push({
      url: request.url,
      target: request.headers.get('x-amz-target'),
      body: (await request.json()) as CognitoCall['body'],
    });
    return new Response(
      JSON.stringify({ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' }),
      { status: 400, headers: { 'Content-Type': 'application/x-amz-json-1.1' } },
    );
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('signInWithPassword', () => {
  it('signs in with SRP on AWS, so the password is never sent', async () => {
    configureAmplify(config);
    const calls = recordCognitoCalls();
    await expect(signInWithPassword('ada@example.com', 'Correct-Horse-9!')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://cognito-idp.eu-west-1.amazonaws.com/');
    expect(calls[0]?.target).toBe('AWSCognitoIdentityProviderService.InitiateAuth');
    expect(calls[0]?.body.AuthFlow).toBe('USER_SRP_AUTH');
    expect(calls[0]?.body.AuthParameters?.SRP_A).toMatch(/^[0-9a-f]+$/);
    expect(JSON.stringify(calls[0]?.body)).not.toContain('Correct-Horse-9!');
  });

  it('sends the password to the local Cognito emulator, which has no SRP', async () => {
    configureAmplify({ ...config, userPoolId: 'local_Pool1', cognitoEndpoint: 'http://127.0.0.1:9229' });
    const calls = recordCognitoCalls();
    await expect(signInWithPassword('ada@example.com', 'Correct-Horse-9!')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:9229\/?$/);
    expect(calls[0]?.body.AuthFlow).toBe('USER_PASSWORD_AUTH');
    expect(calls[0]?.body.AuthParameters?.PASSWORD).toBe('Correct-Horse-9!');
  });
});

/** An error as Amplify throws it: the name says what happened. */
function named(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}

/** Amplify's calls, faked: the first sign-in meets a session another tab stored. */
function alreadySignedIn(currentUser: () => Promise<{ userId: string; username: string }>) {
  const calls = {
    signIn: vi
      .fn<SignInCalls['signIn']>()
      .mockRejectedValueOnce(named('UserAlreadyAuthenticatedException'))
      .mockResolvedValue({ isSignedIn: true, nextStep: { signInStep: 'DONE' } }),
    signOut: vi.fn<SignInCalls['signOut']>().mockResolvedValue(undefined),
    getCurrentUser: vi.fn<SignInCalls['getCurrentUser']>().mockImplementation(currentUser),
  };
  return calls;
}

describe('signInWithPassword when a session is already stored', () => {
  it('takes up the session another tab signed in, and never signs that tab out', async () => {
    // Prepare
    configureAmplify(config);
    const calls = alreadySignedIn(async () => ({ userId: 'u1', username: 'ada@example.com' }));

    // Act
    const output = await signInWithPassword('ada@example.com', 'Correct-Horse-9!', calls);

    // Assess
    expect(output.nextStep.signInStep).toBe('DONE');
    expect(calls.signOut).not.toHaveBeenCalled();
    expect(calls.signIn).toHaveBeenCalledTimes(1);
  });

  it('clears a session that is over and signs in again', async () => {
    // Prepare
    configureAmplify(config);
    const calls = alreadySignedIn(async () => {
      throw named('UserUnAuthenticatedException');
    });

    // Act
    const output = await signInWithPassword('ada@example.com', 'Correct-Horse-9!', calls);

    // Assess
    expect(output.nextStep.signInStep).toBe('DONE');
    expect(calls.signOut).toHaveBeenCalledTimes(1);
    expect(calls.signIn).toHaveBeenCalledTimes(2);
  });

  it('keeps the session when it could not be checked for a passing reason, and says why', async () => {
    // Prepare
    configureAmplify(config);
    const calls = alreadySignedIn(async () => {
      throw named('NetworkError');
    });

    // Act
    const attempt = signInWithPassword('ada@example.com', 'Correct-Horse-9!', calls);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'NetworkError' });
    expect(calls.signOut).not.toHaveBeenCalled();
  });
});
