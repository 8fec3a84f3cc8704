import type { PreAuthenticationTriggerEvent } from 'aws-lambda';

import { withInvocationContext } from '#shared/powertools';
import { makeCheckSignIn } from '../use-cases/check-sign-in';
import { triggerDependencies } from './dependencies';
import { triggerOrigin, withOrigin } from './trigger-origin';
import { refusingGenerically } from './trigger-errors';

/**
 * Cognito pre-authentication: refuses locked accounts and counts every attempt (disabled accounts
 * included, which go on to the password check: see makeCheckSignIn). A thrown Error's message is
 * what Cognito shows ("PreAuthentication failed with error <message>."): never the cause.
 */
export const handler = withInvocationContext(
  async (event: PreAuthenticationTriggerEvent): Promise<PreAuthenticationTriggerEvent> => {
    const attrs = event.request.userAttributes ?? {};
    await refusingGenerically('pre-authentication', event.userPoolId, () =>
      makeCheckSignIn(withTriggerOrigin(event.request))({
        username: event.userName,
        sub: attrs.sub,
        email: attrs.email,
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
