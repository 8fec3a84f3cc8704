import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { onConfiguredUserPool } from '#shared/aws/configured-cognito';
import { getCache } from '#shared/cache/get-cache';
import { getConfig, roleQuota } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { metrics, MetricUnit } from '#shared/powertools';
import { withCachedProfiles } from './adapters/cached-user-directory';
import { postgresUserDirectory } from './adapters/postgres-user-directory';
import { postgresRevocationList, refreshStanding } from '#shared/revocation/postgres-revocation-list';
import { postgresInstructions } from './adapters/postgres-instructions';
import { makeGetInstructions } from './use-cases/get-instructions';
import { makeGetMe } from './use-cases/get-me';
import { makeSetInstructions } from './use-cases/set-instructions';
import { makeSignOutEverywhere } from './use-cases/sign-out-everywhere';
import { cognitoSessions } from './adapters/cognito-sessions';
import type { Sessions } from './ports/sessions';

export interface UserDependencies {
  /** The identity provider's sessions (Cognito). Tests put a fake here: AWS is the edge they cannot run. */
  readonly sessions: () => Sessions;
}

let dependencies: UserDependencies = { sessions: onConfiguredUserPool(cognitoSessions) };

/** Replaces the users group's edges (tests); read on every call, so it applies at once. */
export function setUserDependencies(overrides: Partial<UserDependencies>): void {
  dependencies = { ...dependencies, ...overrides };
}

/** The users group's use cases on PostgreSQL (built once, on the first request). */
export function userDeps() {
  const config = getConfig();
  const online = Boolean(config.OPENAI_API_KEY ?? config.OPENAI_SECRET_ARN);
  const db = getSql();
  const instructions = postgresInstructions(db);
  return {
    getInstructions: makeGetInstructions({ instructions }),
    setInstructions: makeSetInstructions({ instructions }),
    signOutEverywhere: makeSignOutEverywhere({
      sessions: { signOutEverywhere: (username) => dependencies.sessions().signOutEverywhere(username) },
      refreshStanding: (userId) => refreshStanding(db, getCache(), userId),
      transaction: (work) =>
        db.transaction((tx) =>
          work({ revocations: postgresRevocationList(tx, getCache), audit: postgresAuditLog(tx) }),
        ),
    }),
    getMe: makeGetMe({
      users: withCachedProfiles(postgresUserDirectory(db), getCache, {
        // The same metrics as the chat's cached usage: one hit rate for the cache.
        cacheLookup(what, hit) {
          metrics.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1);
          metrics.addMetadata('cacheLookup', what);
        },
      }),
      roleQuota: (role) => roleQuota(config, role),
      // The same choice the chat makes (createChatModel): a key, or the offline model.
      model: online
        ? { provider: 'openai', models: config.OPENAI_MODELS }
        : { provider: 'offline', models: ['offline'] },
    }),
  };
}

export type UserDeps = ReturnType<typeof userDeps>;
