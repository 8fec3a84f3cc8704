import { ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';

export const getMe = defineRoute(
  {
    id: 'me.get',
    method: 'GET',
    path: '/api/me',
    summary: 'The signed-in user',
    access: 'signed-in',
    problems: {
      409: 'The e-mail address belongs to another Parley account (a user re-created in Cognito): an administrator must resolve it',
    },
    responses: {
      200: {
        description: 'Who the caller is, and this month’s token quota',
        schema: z.object({
          id: z.string(),
          email: z.string(),
          displayName: z.string(),
          role: z.nullable(z.enum(ROLES)),
          mfaEnabled: z.boolean(),
          quota: z.object({
            monthlyTokens: z
              .int()
              .register(z.globalRegistry, { description: 'Tokens the caller may use this month' }),
            usedTokens: z.int(),
            isDefault: z.boolean().register(z.globalRegistry, {
              description: "True when monthlyTokens is the role's default, false when set for this user",
            }),
          }),
          model: z.object({ provider: z.enum(['openai', 'offline']), models: z.array(z.string()) }),
        }),
      },
    },
  },
  async ({ caller, requestId }, { getMe }) => ok(await getMe(caller, requestId)),
);
