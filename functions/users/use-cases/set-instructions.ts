import type { Caller } from '#shared/domain/caller';
import { ProfileNotFoundError } from '#shared/errors';
import type { InstructionsStore } from '../ports/instructions-store';

/**
 * Sets the caller's own instructions for the model, sent with every message they write from the
 * next one on (null: none). Their content is theirs alone: not audited, shown to nobody else.
 */
export const makeSetInstructions =
  (deps: { instructions: InstructionsStore }) =>
  async (caller: Caller, instructions: string | null): Promise<{ instructions: string | null }> => {
    if (!(await deps.instructions.set(caller.userId, instructions))) throw new ProfileNotFoundError();
    return { instructions };
  };
