import type { PostConfirmationTriggerEvent } from 'aws-lambda';

import { makeProvisionUser } from '../use-cases/complete-sign-in';
import { triggerDependencies } from './dependencies';

/** Cognito post-confirmation: provisions the `users` row (idempotent: Cognito may retry). */
export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => {
  const attrs = event.request.userAttributes;
  const sub = attrs.sub;
  const email = attrs.email;
  if (!sub || !email) throw new Error('Account could not be set up.');
  await makeProvisionUser(triggerDependencies())({ sub, email, name: attrs.name });
  return event;
};
