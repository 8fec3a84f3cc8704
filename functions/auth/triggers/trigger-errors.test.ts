import { afterEach, describe, expect, it, vi } from 'vitest';

import { logger, metrics } from '#shared/powertools';
import { EmailOfAnotherUserError, SessionsNotEndedError } from '../domain/identity-drift';
import { SIGN_IN_BLOCKED_MESSAGE, SIGN_IN_UNAVAILABLE_MESSAGE, SignInBlockedError } from '../domain/sign-in';
import { refusingGenerically } from './trigger-errors';

function spies() {
  return {
    error: vi.spyOn(logger, 'error').mockImplementation(() => undefined),
    info: vi.spyOn(logger, 'info').mockImplementation(() => undefined),
    metric: vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('refusingGenerically', () => {
  it('passes a refusal on as it is, logged as information', async () => {
    const { info, metric } = spies();

    const error = await refusingGenerically('pre-authentication', 'pool-1', async () => {
      throw new SignInBlockedError('locked');
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SignInBlockedError);
    expect((error as Error).message).toBe(SIGN_IN_BLOCKED_MESSAGE);
    expect(info).toHaveBeenCalledWith('sign-in blocked', expect.objectContaining({ reason: 'locked' }));
    expect(metric).not.toHaveBeenCalled();
  });

  it('shows only the generic text for any other failure, and logs the cause', async () => {
    const { error: logged, metric } = spies();
    const cause = new Error('connect ECONNREFUSED 10.0.0.1:5432');

    const error = await refusingGenerically('post-authentication', 'pool-1', async () => {
      throw cause;
    }).catch((e: unknown) => e);

    expect((error as Error).message).toBe(SIGN_IN_UNAVAILABLE_MESSAGE);
    expect(logged).toHaveBeenCalledWith('post-authentication failed', { error: cause });
    expect(metric).not.toHaveBeenCalled();
  });

  it.each([
    [
      'a password reset whose sign-out failed',
      new SessionsNotEndedError('sub-1', { cause: new Error('Rate exceeded') }),
      { userId: 'sub-1' },
    ],
    [
      "an e-mail of another user's row",
      new EmailOfAnotherUserError('sub-new', 'sub-old'),
      { userId: 'sub-new', existingUserId: 'sub-old' },
    ],
  ])(
    'reports %s as identity drift: an error log naming it and its ids, and one IdentityDrift count',
    async (_case, drift, ids) => {
      // Prepare
      const { error: logged, metric } = spies();

      // Act
      const error = await refusingGenerically('post-confirmation', 'pool-1', async () => {
        throw drift;
      }).catch((e: unknown) => e);

      // Assess
      expect((error as Error).message).toBe(SIGN_IN_UNAVAILABLE_MESSAGE);
      expect(logged).toHaveBeenCalledTimes(1);
      const [message, attributes] = logged.mock.calls[0] ?? [];
      expect(message).toMatch(/^post-confirmation: Cognito and the database disagree: /);
      expect(message).toContain(drift.message);
      expect(attributes).toMatchObject({ trigger: 'post-confirmation', drift: drift.name, ...ids });
      expect(metric).toHaveBeenCalledWith('IdentityDrift', 'Count', 1);
    },
  );
});
