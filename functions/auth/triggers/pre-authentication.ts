import type { PreAuthenticationTriggerEvent } from 'aws-lambda';

import { logger } from '#shared/powertools';
import { SignInBlockedError } from '../domain/sign-in';
import { makeCheckSignIn } from '../use-cases/check-sign-in';
import { triggerDependencies } from './dependencies';

/**
 * Cognito pre-authentication: refuses disabled and locked accounts and counts the attempt. A thrown
 * Error's message is what Cognito shows ("PreAuthentication failed with error <message>.").
 */
export const handler = async (
  event: PreAuthenticationTriggerEvent,
): Promise<PreAuthenticationTriggerEvent> => {
  const attrs = event.request.userAttributes ?? {};
  try {
    await makeCheckSignIn(triggerDependencies())({
      username: event.userName,
      sub: attrs.sub,
      email: attrs.email,
    });
  } catch (error) {
    if (error instanceof SignInBlockedError) {
      logger.info('sign-in blocked', { reason: error.reason, userPoolId: event.userPoolId });
    } else {
      logger.error('pre-authentication failed', { error });
    }
    throw error;
  }
  return event;
};
