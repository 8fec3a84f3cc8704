import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

export const roleSchema = z.enum(['admins', 'members', 'auditors']);

export const meSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.nullable(z.string()),
  /** null: signed in, but in no Cognito group yet, so every other route answers 403. */
  role: z.nullable(roleSchema),
  mfaEnabled: z.boolean(),
  quota: z.object({
    monthlyTokens: z.int().check(z.nonnegative()),
    usedTokens: z.int().check(z.nonnegative()),
  }),
  /** Who answers chats; `offline` is the built-in model of a laptop without an OpenAI key. */
  model: z.optional(
    z.object({
      provider: z.enum(['openai', 'offline']),
      models: z.array(z.string()),
    }),
  ),
});

export type Me = z.infer<typeof meSchema>;
export type Role = z.infer<typeof roleSchema>;

export function getMe(api: ApiClient, signal?: AbortSignal): Promise<Me> {
  return api.request('/me', meSchema, { signal });
}
