import type { PostConfirmationTriggerEvent } from 'aws-lambda';

import { withInvocationContext } from '#shared/powertools';
import { makeProvisionUser } from '../use-cases/complete-sign-in';
import { triggerDependencies } from './dependencies';
import { refusingGenerically } from './trigger-errors';

/**
 * Cognito post-confirmation: provisions the `users` row (idempotent: Cognito may retry). A thrown
 * Error's message is what Cognito shows ("PostConfirmation failed with error <message>."): never
 * the cause.
 */
export const handler = withInvocationContext(
  async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => {
    const attrs = event.request.userAttributes;
    const sub = attrs.sub;
    const email = attrs.email;
    if (!sub || !email) throw new Error('Account could not be set up.');
    await refusingGenerically('post-confirmation', event.userPoolId, () =>
      makeProvisionUser(triggerDependencies())({ sub, email, name: attrs.name }),
    );
    return event;
  },
);
