import { getConfig } from '#shared/config';
import { getDatabase } from '#shared/db/database';
import { postgresUserDirectory } from './adapters/postgres-user-directory';
import { makeGetMe } from './use-cases/get-me';

/** The users group's use cases on PostgreSQL (built once, on the first request). */
export function userDeps() {
  const config = getConfig();
  const online = Boolean(config.OPENAI_API_KEY ?? config.OPENAI_SECRET_ARN);
  return {
    getMe: makeGetMe({
      users: postgresUserDirectory(getDatabase()),
      defaultMonthlyTokens: config.DEFAULT_MONTHLY_TOKENS,
      // The same choice the chat makes (createChatModel): a key, or the offline model.
      model: online
        ? { provider: 'openai', models: config.OPENAI_MODELS }
        : { provider: 'offline', models: ['offline'] },
    }),
  };
}

export type UserDeps = ReturnType<typeof userDeps>;
