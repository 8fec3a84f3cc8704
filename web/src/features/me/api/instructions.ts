import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { hasVisibleCharacter } from '../../../../../functions/shared/domain/text';

/** The API's longest instructions. */
export const INSTRUCTIONS_MAX = 1500;

const instructionsSchema = z.object({ instructions: z.nullable(z.string()) });

/** The caller's own instructions for the model; null for none. */
export async function getInstructions(api: ApiClient, signal?: AbortSignal): Promise<string | null> {
  return (await api.request('/me/instructions', instructionsSchema, { signal })).instructions;
}

/** Sets them (blank: removes them); the instructions as kept. */
export async function setInstructions(api: ApiClient, text: string): Promise<string | null> {
  // Nothing that shows is no instructions: removed, not refused by the API as empty.
  const trimmed = text.trim();
  const instructions = hasVisibleCharacter(trimmed) ? trimmed : null;
  return (
    await api.request('/me/instructions', instructionsSchema, { method: 'PUT', body: { instructions } })
  ).instructions;
}
