import type { PostAuthenticationTriggerEvent } from 'aws-lambda';

import { withInvocationContext } from '#shared/powertools';
import { makeCompleteSignIn } from '../use-cases/complete-sign-in';
import { triggerDependencies } from './dependencies';
import { triggerOrigin, withOrigin } from './trigger-origin';
import { refusingGenerically } from './trigger-errors';

/**
 * Cognito post-authentication: refuses a disabled user, resets the lockout counter, refreshes the
 * `users` row, audits.
 */
export const handler = withInvocationContext(
  async (event: PostAuthenticationTriggerEvent): Promise<PostAuthenticationTriggerEvent> => {
    const attrs = event.request.userAttributes;
    const sub = attrs.sub;
    const email = attrs.email;
    if (!sub || !email) throw new Error('Sign-in could not be completed.');
    await refusingGenerically('post-authentication', event.userPoolId, () =>
      makeCompleteSignIn(withTriggerOrigin(event.request))({
        sub,
        email,
        name: attrs.name,
        username: event.userName,
      }),
    );
    return event;
  },
);

/** The adapters, with audit events marked with where the sign-in came from. */
function withTriggerOrigin(request: unknown) {
  const deps = triggerDependencies();
  return { ...deps, events: withOrigin(deps.events, triggerOrigin(request)) };
}
