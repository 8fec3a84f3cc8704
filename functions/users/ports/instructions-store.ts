/** A person's own instructions for the model, kept with their users row. */
export interface InstructionsStore {
  /** null: none set (or no row). */
  get(userId: string): Promise<string | null>;
  /** Sets them (null: none); false when the user has no row. */
  set(userId: string, instructions: string | null): Promise<boolean>;
}
