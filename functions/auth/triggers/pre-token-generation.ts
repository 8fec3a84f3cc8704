import type { PreTokenGenerationTriggerEvent, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';

import { withInvocationContext } from '#shared/powertools';
import { makeResolveTokenGroups } from '../use-cases/resolve-token-groups';
import { triggerDependencies } from './dependencies';
import { refusingGenerically } from './trigger-errors';

/** A V1 event (version "1"; the local emulator's are "0") or a V2 one (the pool's, V2_0). */
export type TokenGenerationEvent = PreTokenGenerationTriggerEvent | PreTokenGenerationV2TriggerEvent;

/** Version 2 and 3 events carry both tokens' data and read `claimsAndScopeOverrideDetails`. */
const isV2 = (event: TokenGenerationEvent): event is PreTokenGenerationV2TriggerEvent =>
  event.version === '2' || event.version === '3';

/** Override details (V1 or V2; Cognito sends V2's as null) with `groups` as the token groups. */
function withGroups<Details extends { groupOverrideDetails?: object }>(
  details: Details | null | undefined,
  groups: string[],
) {
  return { ...details, groupOverrideDetails: { ...details?.groupOverrideDetails, groupsToOverride: groups } };
}

/**
 * Cognito pre-token-generation: the tokens carry exactly one role group, `users.role`, so an
 * admin's role change takes effect at the next refresh. Adds no claims (and nothing secret). The
 * pool invokes it with V2_0 events (`lib/stacks/auth-stack.ts`), whose response Cognito reads from
 * `claimsAndScopeOverrideDetails`, a field the V1 answer (`claimsOverrideDetails`) does not have.
 * The answer takes the shape of the event's version.
 */
export const handler = withInvocationContext(
  async (event: TokenGenerationEvent): Promise<TokenGenerationEvent> => {
    const attrs = event.request.userAttributes ?? {};
    const groups = await refusingGenerically('pre-token-generation', event.userPoolId, () =>
      makeResolveTokenGroups(triggerDependencies())({
        sub: attrs.sub,
        email: attrs.email,
        groups: event.request.groupConfiguration?.groupsToOverride,
      }),
    );
    if (isV2(event)) {
      event.response = {
        ...event.response,
        claimsAndScopeOverrideDetails: withGroups(event.response?.claimsAndScopeOverrideDetails, groups),
      };
    } else {
      event.response = {
        ...event.response,
        claimsOverrideDetails: withGroups(event.response?.claimsOverrideDetails, groups),
      };
    }
    return event;
  },
);
