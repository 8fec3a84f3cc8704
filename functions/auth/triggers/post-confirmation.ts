import type { PostConfirmationTriggerEvent } from 'aws-lambda';

import { withInvocationContext } from '#shared/powertools';
import { makeCompletePasswordReset } from '../use-cases/complete-password-reset';
import { makeProvisionUser } from '../use-cases/complete-sign-in';
import { triggerDependencies } from './dependencies';
import { refusingGenerically } from './trigger-errors';

/**
 * Cognito post-confirmation: provisions the `users` row (idempotent: Cognito may retry); after a
 * password reset (ConfirmForgotPassword) also ends the user's earlier sessions. A thrown Error's
 * message is what Cognito shows ("PostConfirmation failed with error <message>."): never the cause.
 */
export const handler = withInvocationContext(
  async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => {
    const attrs = event.request.userAttributes;
    const sub = attrs.sub;
    const email = attrs.email;
    if (!sub || !email) throw new Error('Account could not be set up.');
    const identity = { sub, email, name: attrs.name };
    await refusingGenerically('post-confirmation', event.userPoolId, () =>
      event.triggerSource === 'PostConfirmation_ConfirmForgotPassword'
        ? makeCompletePasswordReset(triggerDependencies())({ ...identity, username: event.userName })
        : makeProvisionUser(triggerDependencies())(identity),
    );
    return event;
  },
);
