import { getConfig } from '#shared/config';
import { getDatabase } from '#shared/db/database';
import { postgresUserDirectory } from './adapters/postgres-user-directory';
import { makeGetMe } from './use-cases/get-me';

/** The users group's use cases on PostgreSQL (built once, on the first request). */
export function userDeps() {
  return {
    getMe: makeGetMe({
      users: postgresUserDirectory(getDatabase()),
      defaultMonthlyTokens: getConfig().DEFAULT_MONTHLY_TOKENS,
    }),
  };
}

export type UserDeps = ReturnType<typeof userDeps>;
