import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';

import { withInvocationContext } from '#shared/powertools';
import { makeResolveTokenGroups } from '../use-cases/resolve-token-groups';
import { triggerDependencies } from './dependencies';
import { refusingGenerically } from './trigger-errors';

/**
 * Cognito pre-token-generation (V1): the tokens carry exactly one role group, `users.role`, so an
 * admin's role change takes effect at the next refresh. Adds no claims (and nothing secret).
 */
export const handler = withInvocationContext(
  async (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> => {
    const attrs = event.request.userAttributes ?? {};
    const groups = await refusingGenerically('pre-token-generation', event.userPoolId, () =>
      makeResolveTokenGroups(triggerDependencies())({
        sub: attrs.sub,
        email: attrs.email,
        groups: event.request.groupConfiguration?.groupsToOverride,
      }),
    );
    event.response = {
      ...event.response,
      claimsOverrideDetails: {
        ...event.response?.claimsOverrideDetails,
        groupOverrideDetails: {
          ...event.response?.claimsOverrideDetails?.groupOverrideDetails,
          groupsToOverride: groups,
        },
      },
    };
    return event;
  },
);
