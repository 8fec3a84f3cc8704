/** The longest instructions: a paragraph or two, well inside every model's context window. */
export const INSTRUCTIONS_MAX = 1_500;
