import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { defineRoute } from './define';
import { instructionsSchema } from './instructions-schema';

export const getInstructions = defineRoute(
  {
    id: 'me.instructions.get',
    method: 'GET',
    path: '/api/me/instructions',
    summary: 'Your own instructions for the model',
    access: CHAT_ROLES,
    responses: { 200: { description: 'Your instructions (null: none)', schema: instructionsSchema } },
  },
  async ({ caller }, { getInstructions }) => ok(await getInstructions(caller)),
);
