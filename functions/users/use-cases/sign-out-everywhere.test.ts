import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '#shared/audit/audit-log';
import { makeSignOutEverywhere } from './sign-out-everywhere';

const ada = { userId: 'ada', kind: 'user', username: 'ada-username', role: 'members' } as const;

function setUp(options: { auditFails?: boolean; cognitoFails?: boolean } = {}) {
  const steps: string[] = [];
  const revoked: string[] = [];
  const audited: AuditEvent[] = [];
  const committed = { revoked: [] as string[], audited: [] as AuditEvent[] };
  const signOut = makeSignOutEverywhere({
    sessions: {
      signOutEverywhere: async (username) => {
        steps.push(`cognito ${username}`);
        if (options.cognitoFails) throw new Error('Cognito unavailable');
      },
    },
    refreshStanding: async (userId) => void steps.push(`refresh ${userId}`),
    // Commits what the work wrote only when it finishes, as a transaction does.
    transaction: async (work) => {
      const result = await work({
        revocations: {
          standingOf: async () => ({ validAfter: null, disabled: false }),
          revokeTokens: async (userId) => {
            steps.push(`revoke ${userId}`);
            revoked.push(userId);
          },
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
  return { signOut, committed, steps };
}

describe('signOutEverywhere', () => {
  it("revokes the caller's refresh tokens with Cognito, then their access tokens, audited with the request id", async () => {
    const { signOut, committed, steps } = setUp();

    await signOut(ada, 'req-1');

    // Cognito first: the revocation's instant comes after the last refresh Cognito allowed.
    // The cached standing is written over once the revocation has committed.
    expect(steps).toEqual(['cognito ada-username', 'revoke ada', 'refresh ada']);
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

  it('records nothing when Cognito fails, so the request fails and can be tried again', async () => {
    const { signOut, committed } = setUp({ cognitoFails: true });

    await expect(signOut(ada, 'req-2')).rejects.toThrow('Cognito unavailable');
    expect(committed).toEqual({ revoked: [], audited: [] });
  });

  it('commits nothing when the audit event cannot be written', async () => {
    const { signOut, committed } = setUp({ auditFails: true });

    await expect(signOut(ada, 'req-3')).rejects.toThrow('audit unavailable');
    expect(committed.revoked).toEqual([]);
  });
});
