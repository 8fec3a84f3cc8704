import { logger } from '#shared/powertools';
import { SIGN_IN_UNAVAILABLE_MESSAGE, SignInBlockedError } from '../domain/sign-in';

/**
 * Runs a trigger's work so that Cognito, which shows a thrown Error's message to the person
 * signing in ("<Trigger> failed with error <message>."), only ever shows one of our generic
 * messages: a refusal (locked or disabled, one text for both) or "unavailable". The cause (a
 * database address, a driver's text) goes to the log only.
 */
export async function refusingGenerically<T>(
  trigger: string,
  userPoolId: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SignInBlockedError) {
      logger.info('sign-in blocked', { trigger, reason: error.reason, userPoolId });
      throw error;
    }
    logger.error(`${trigger} failed`, { error: error as Error });
    throw new Error(SIGN_IN_UNAVAILABLE_MESSAGE, { cause: error });
  }
}
