import { describe, expect, it } from 'vitest';

import { decideQuotaChange } from '@/features/admin/utils/quota-change';

const onDefault = { monthlyTokens: 200_000, quotaIsDefault: true };
const ownQuota = { monthlyTokens: 12_345, quotaIsDefault: false };

describe('decideQuotaChange', () => {
  it('sends nothing when the form is saved as it was opened', () => {
    expect(decideQuotaChange(onDefault, { useDefault: true, tokens: '200000' })).toEqual({
      send: false,
      reason: 'unchanged',
    });
    expect(decideQuotaChange(ownQuota, { useDefault: false, tokens: '12345' })).toEqual({
      send: false,
      reason: 'unchanged',
    });
    expect(decideQuotaChange(ownQuota, { useDefault: false, tokens: ' 12345 ' })).toMatchObject({
      send: false,
    });
  });

  it("sends null to put a user with a quota of their own back on the role's default", () => {
    expect(decideQuotaChange(ownQuota, { useDefault: true, tokens: '12345' })).toEqual({
      send: true,
      monthlyTokens: null,
    });
  });

  it('sends the number for a new quota of their own', () => {
    expect(decideQuotaChange(ownQuota, { useDefault: false, tokens: '5000' })).toEqual({
      send: true,
      monthlyTokens: 5000,
    });
    expect(decideQuotaChange(onDefault, { useDefault: false, tokens: '0' })).toEqual({
      send: true,
      monthlyTokens: 0,
    });
  });

  it("pins today's default as their own quota when the default is unticked and the number kept", () => {
    expect(decideQuotaChange(onDefault, { useDefault: false, tokens: '200000' })).toEqual({
      send: true,
      monthlyTokens: 200_000,
    });
  });

  it('never sends what is not a whole number of tokens (JSON would turn NaN into null)', () => {
    for (const tokens of ['', '  ', '-1', '1.5', '1e3', 'abc', '9'.repeat(20)]) {
      expect(decideQuotaChange(ownQuota, { useDefault: false, tokens })).toEqual({
        send: false,
        reason: 'invalid',
      });
    }
  });
});
