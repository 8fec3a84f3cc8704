import { describe, expect, it } from 'vitest';
import * as z from '../zod';
import { wholeNumberParam } from './whole-number-param';

const RANGE = 'must be a whole number of days between 1 and 3650';
const days = z.strictObject({ days: z.optional(wholeNumberParam(1, 3650, RANGE)) });

describe('wholeNumberParam', () => {
  it.each([
    ['1', 1],
    ['3650', 3650],
    ['0030', 30],
  ])('reads %j as %d', (raw, expected) => {
    expect(z.parse(days, { days: raw })).toEqual({ days: expected });
  });

  it.each([
    '0x10',
    '1e1',
    '+5',
    ' 5',
    '5 ',
    '5.0',
    '5,0',
    '',
    '-1',
    '0',
    '3651',
    '__proto__',
    'Infinity',
    'NaN',
    '\u0000',
    '٥',
    '１',
    '1000000',
    String(10n ** 20n),
  ])('refuses %j, stating the range once', (raw) => {
    const result = z.safeParse(days, { days: raw });

    expect(result.error?.issues.map((i) => [i.path, i.message])).toEqual([[['days'], RANGE]]);
  });

  it('refuses what a query string cannot hold but a careless caller might pass', () => {
    for (const value of [null, true, ['5'], { toString: () => '5' }])
      expect(z.safeParse(days, { days: value }).success, JSON.stringify(value)).toBe(false);
  });

  it('is described to clients as an integer with its range', () => {
    expect(z.toJSONSchema(days, { io: 'input' }).properties?.['days']).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 3650,
    });
  });
});
