import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '#shared/audit/audit-log';
import { makeSignOutEverywhere } from './sign-out-everywhere';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;

function setUp(options: { auditFails?: boolean } = {}) {
  const revoked: string[] = [];
  const audited: AuditEvent[] = [];
  const committed = { revoked: [] as string[], audited: [] as AuditEvent[] };
  const signOut = makeSignOutEverywhere({
    // Commits what the work wrote only when it finishes, as a transaction does.
    transaction: async (work) => {
      const result = await work({
        revocations: {
          standingOf: async () => ({ validAfter: null, disabled: false }),
          revokeTokens: async (userId) => void revoked.push(userId),
        },
        audit: {
          record: async (event) => {
            if (options.auditFails) throw new Error('audit unavailable');
            audited.push(event);
          },
        },
      });
      committed.revoked.push(...revoked);
      committed.audited.push(...audited);
      return result;
    },
  });
  return { signOut, committed };
}

describe('signOutEverywhere', () => {
  it("revokes the caller's tokens and audits it with the request id", async () => {
    const { signOut, committed } = setUp();

    await signOut(ada, 'req-1');

    expect(committed.revoked).toEqual(['ada']);
    expect(committed.audited).toEqual([
      {
        actorId: 'ada',
        action: 'auth.sign-out-everywhere',
        targetType: 'user',
        targetId: 'ada',
        requestId: 'req-1',
      },
    ]);
  });

  it('commits nothing when the audit event cannot be written', async () => {
    const { signOut, committed } = setUp({ auditFails: true });

    await expect(signOut(ada, 'req-2')).rejects.toThrow('audit unavailable');
    expect(committed.revoked).toEqual([]);
  });
});
