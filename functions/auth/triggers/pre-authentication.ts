import type { PreAuthenticationTriggerEvent } from 'aws-lambda';

import { logger } from '#shared/powertools';
import { SIGN_IN_UNAVAILABLE_MESSAGE, SignInBlockedError } from '../domain/sign-in';
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
      throw error;
    }
    // Cognito shows the message to the person signing in: never the cause (a database address,
    // a driver's text), which goes to the log only.
    logger.error('pre-authentication failed', { error: error as Error });
    throw new Error(SIGN_IN_UNAVAILABLE_MESSAGE, { cause: error });
  }
  return event;
};
