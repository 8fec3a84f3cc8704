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

/** The instructions a text sets: trimmed, or null (removed) when nothing in it shows. */
export function instructionsFrom(text: string): string | null {
  // Nothing that shows is no instructions: removed, not refused by the API as empty.
  const trimmed = text.trim();
  return hasVisibleCharacter(trimmed) ? trimmed : null;
}

/** Sets them (blank: removes them); the instructions as kept. */
export async function setInstructions(api: ApiClient, text: string): Promise<string | null> {
  const instructions = instructionsFrom(text);
  return (
    await api.request('/me/instructions', instructionsSchema, { method: 'PUT', body: { instructions } })
  ).instructions;
}
