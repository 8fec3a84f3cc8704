import { getConfig } from '../../shared/config';
import { getDatabase } from '../../shared/db/database';
import { apiHandler } from '../../shared/http/api-handler';
import { ok } from '../../shared/http/responses';
import { routeGroup } from '../../shared/http/router';
import { postgresUserDirectory } from '../adapters/postgres-user-directory';
import { makeGetMe } from '../use-cases/get-me';

const getMe = makeGetMe({
  users: postgresUserDirectory(getDatabase()),
  defaultMonthlyTokens: getConfig().DEFAULT_MONTHLY_TOKENS,
});

export const handler = routeGroup('users', {
  'me.get': apiHandler({ route: 'me.get' }, async ({ auth }) => ok(await getMe(auth))),
});
