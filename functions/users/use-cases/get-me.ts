import type { Caller } from '#shared/domain/caller';
import { effectiveQuota, type RoleQuota } from '#shared/domain/quota';
import type { Me, ModelInfo } from '../domain/me';
import type { UserDirectory } from '../ports/user-directory';

/**
 * The caller's profile. A person whose row is missing (created in Cognito by other means and not
 * yet through a trigger) gets one now, so `/me` always answers for a valid token; the row takes
 * the token's role and is audited (`user.provisioned`, with that role and `requestId`) by the
 * directory. The role shown is the token's (its groups), which the pre-token-generation trigger
 * keeps equal to the row's.
 */
export const makeGetMe =
  (deps: { users: UserDirectory; roleQuota: RoleQuota; model: ModelInfo; now?: () => Date }) =>
  async (auth: Caller, requestId: string): Promise<Me> => {
    const now = deps.now?.() ?? new Date();
    // Both at once: neither needs the other (a person not provisioned yet has used nothing), and
    // through the Data API each is a call of its own.
    const [found, usedTokens] = await Promise.all([
      deps.users.find(auth.userId),
      deps.users.tokensUsedSince(auth.userId, now),
    ]);
    const profile =
      found ??
      (await deps.users.provision(
        { id: auth.userId, email: auth.username ?? auth.userId, role: auth.role, kind: auth.kind },
        requestId,
      ));
    const role = auth.kind === 'service' ? profile.role : auth.role;
    return {
      id: profile.id,
      email: profile.email,
      displayName: profile.displayName,
      role,
      mfaEnabled: profile.mfaEnabled,
      quota: { ...effectiveQuota(profile.monthlyTokens, role, deps.roleQuota), usedTokens },
      model: deps.model,
    };
  };
