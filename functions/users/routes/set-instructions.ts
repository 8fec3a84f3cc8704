import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { instructionsSchema, instructionsText } from './instructions-schema';

export const setInstructions = defineRoute(
  {
    id: 'me.instructions.set',
    method: 'PUT',
    path: '/api/me/instructions',
    summary:
      'Set your own instructions for the model (how to answer you), sent with each message you write from the next one on, after the organisation’s; null removes them. Nobody else sees them',
    access: CHAT_ROLES,
    body: z.strictObject({ instructions: z.nullable(instructionsText) }),
    responses: { 200: { description: 'Your instructions as kept', schema: instructionsSchema } },
    problems: { 404: 'No profile yet (it is written on your first GET /api/me)' },
  },
  async ({ caller, body }, { setInstructions }) => ok(await setInstructions(caller, body.instructions)),
);
