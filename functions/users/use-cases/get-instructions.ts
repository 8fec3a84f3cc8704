import type { Caller } from '#shared/domain/caller';
import type { InstructionsStore } from '../ports/instructions-store';

/** The caller's own instructions for the model (null: none). */
export const makeGetInstructions =
  (deps: { instructions: InstructionsStore }) =>
  async (caller: Caller): Promise<{ instructions: string | null }> => ({
    instructions: await deps.instructions.get(caller.userId),
  });
