import { NotFoundError } from '#shared/errors';

/** The longest instructions: a paragraph or two, well inside every model's context window. */
export const INSTRUCTIONS_MAX = 1_500;

/** The caller has no users row yet (it is written on their first `GET /api/me`). */
export class ProfileNotFoundError extends NotFoundError {
  constructor() {
    super('No profile yet: open the app once, then try again.');
  }
}
