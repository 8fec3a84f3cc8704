import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getCache } from '#shared/cache/get-cache';
import { getConfig } from '#shared/config';
import { getDatabase } from '#shared/db/database';
import { postgresUserDirectory } from './adapters/postgres-user-directory';
import { postgresRevocationList } from '#shared/revocation/postgres-revocation-list';
import { makeGetMe } from './use-cases/get-me';
import { makeSignOutEverywhere } from './use-cases/sign-out-everywhere';

/** The users group's use cases on PostgreSQL (built once, on the first request). */
export function userDeps() {
  const config = getConfig();
  const online = Boolean(config.OPENAI_API_KEY ?? config.OPENAI_SECRET_ARN);
  const db = getDatabase();
  return {
    signOutEverywhere: makeSignOutEverywhere({
      transaction: (work) =>
        db
          .transaction()
          .execute((trx) =>
            work({ revocations: postgresRevocationList(trx, getCache), audit: postgresAuditLog(trx) }),
          ),
    }),
    getMe: makeGetMe({
      users: postgresUserDirectory(db),
      defaultMonthlyTokens: config.DEFAULT_MONTHLY_TOKENS,
      // The same choice the chat makes (createChatModel): a key, or the offline model.
      model: online
        ? { provider: 'openai', models: config.OPENAI_MODELS }
        : { provider: 'offline', models: ['offline'] },
    }),
  };
}

export type UserDeps = ReturnType<typeof userDeps>;
