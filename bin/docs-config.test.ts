import { describe, expect, it } from 'vitest';

import { readSchema } from './docs-config';

/** Schema shapes the configuration reference must describe without guessing. */
const SCHEMA = `
const stageConfigSchema = z
  .object({
    /** Kept as written: an expression the reader cannot evaluate. */
    retries: z.number().int().max(LIMIT * 2),
    window: z.number().min(100 - 1),
    mode: z.union(MODES),
    /** A nested object given by name: described as an object. */
    budget: z.object(budgetShape),
  })
  .superRefine((c, ctx) => {
    for (const key of BUDGET_KEYS)
      ctx.addIssue({ code: 'custom', path: ['budget', key], message: 'must be a whole number' });
    const pairs: [boolean, number][] = [[c.retries > 0, 3]];
  });`;

describe('npm run docs:config reading the stage schema', () => {
  const { settings, rules } = readSchema(SCHEMA, { STAGES: ['dev'] });
  const constraintOf = (path: string) => settings.find((s) => s.path === path)?.constraint;

  it('keeps a bound it cannot evaluate as written in the schema', () => {
    expect(constraintOf('retries')).toBe('integer, at most LIMIT * 2');
    expect(constraintOf('window')).toBe('number, at least 100 - 1');
  });

  it('names a union given as a constant by that constant', () => {
    expect(constraintOf('mode')).toBe('one of MODES');
  });

  it('describes an object given by name as an object, with its documentation', () => {
    expect(settings.find((s) => s.path === 'budget')).toEqual({
      path: 'budget',
      constraint: 'object',
      doc: 'A nested object given by name: described as an object.',
    });
  });

  it('writes a rule path with a computed part as the code says it, and takes no number for a message', () => {
    expect(rules).toEqual(['`budget.key`: must be a whole number']);
  });
});
