import { logger, metrics, MetricUnit, publishMetrics } from '#shared/powertools';
import { IdentityDriftError } from '../domain/identity-drift';
import { SIGN_IN_UNAVAILABLE_MESSAGE, SignInBlockedError } from '../domain/sign-in';

/**
 * Runs a trigger's work so that Cognito, which shows a thrown Error's message to the person
 * signing in ("<Trigger> failed with error <message>."), only ever shows one of our generic
 * messages: a refusal (locked or disabled, one text for both) or "unavailable". The cause (a
 * database address, a driver's text) goes to the log only. Identity drift (Cognito and `users`
 * apart, for an operator to mend) is logged as such, with the ids, and counted in `IdentityDrift`,
 * the metric whose alarm pages, as for an admin change that left them apart.
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
    if (error instanceof IdentityDriftError) {
      logger.error(`${trigger}: Cognito and the database disagree: ${error.message}`, {
        trigger,
        userPoolId,
        drift: error.name,
        ...error.ids,
        error: error.cause instanceof Error ? error.cause : undefined,
      });
      metrics.addMetric('IdentityDrift', MetricUnit.Count, 1);
      // Triggers have no Middy metrics middleware: flush now, the invocation is short.
      publishMetrics();
    } else {
      logger.error(`${trigger} failed`, { error: error as Error });
    }
    throw new Error(SIGN_IN_UNAVAILABLE_MESSAGE, { cause: error });
  }
}
