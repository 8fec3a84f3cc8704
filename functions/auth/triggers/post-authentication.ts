import type { PostAuthenticationTriggerEvent } from 'aws-lambda';

import { makeCompleteSignIn } from '../use-cases/complete-sign-in';
import { triggerDependencies } from './dependencies';
import { refusingGenerically } from './trigger-errors';

/**
 * Cognito post-authentication: refuses a disabled user, resets the lockout counter, refreshes the
 * `users` row, audits.
 */
export const handler = async (
  event: PostAuthenticationTriggerEvent,
): Promise<PostAuthenticationTriggerEvent> => {
  const attrs = event.request.userAttributes;
  const sub = attrs.sub;
  const email = attrs.email;
  if (!sub || !email) throw new Error('Sign-in could not be completed.');
  await refusingGenerically('post-authentication', event.userPoolId, () =>
    makeCompleteSignIn(triggerDependencies())({ sub, email, name: attrs.name }),
  );
  return event;
};
