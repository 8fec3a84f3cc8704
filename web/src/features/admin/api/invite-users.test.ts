import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import { inviteEach } from '@/features/admin/api/invite-users';
import type { InviteOutcome } from '@/features/admin/api/invite-users';

const user = (email: string) => ({
  id: `id-${email}`,
  email,
  displayName: email.split('@')[0] ?? email,
  kind: 'user',
  role: 'members',
  status: 'active',
  mfaEnabled: false,
  locked: false,
  lockedUntil: null,
  monthlyTokens: 200_000,
  quotaIsDefault: true,
  usedTokens: 0,
  createdAt: '2026-03-10T12:00:00.000Z',
  disabledAt: null,
  lastSignInAt: null,
});

const problem = (status: number, detail: string, retryAfter?: number) =>
  new ApiError({ type: 'about:blank', title: 'Refused', status, detail }, retryAfter);

/** An API answering each address as `answers` says (a user when it says nothing). */
function apiAnswering(answers: Record<string, ApiError>) {
  const request = vi.fn(
    async (_path: string, schema: { parse(value: unknown): unknown }, options?: { body?: unknown }) => {
      const { email } = options?.body as { email: string };
      const refusal = answers[email];
      if (refusal) throw refusal;
      return schema.parse(user(email));
    },
  );
  return { api: { fetch: vi.fn(), request } as unknown as ApiClient, request };
}

describe('inviteEach', () => {
  it('invites every address in the role, one after the other, and goes on past one already in use', async () => {
    // Prepare
    const { api, request } = apiAnswering({
      'b@example.org': problem(409, 'A user with this e-mail address already exists.'),
    });
    const seen: [InviteOutcome['status'], number][] = [];

    // Act
    const outcomes = await inviteEach(
      api,
      ['a@example.org', 'b@example.org', 'c@example.org'],
      'auditors',
      (o, i) => seen.push([o.status, i]),
    );

    // Assess
    expect(outcomes.map((o) => [o.email, o.status])).toEqual([
      ['a@example.org', 'invited'],
      ['b@example.org', 'failed'],
      ['c@example.org', 'invited'],
    ]);
    expect(outcomes[1]).toMatchObject({ message: 'A user with this e-mail address already exists.' });
    expect(seen).toEqual([
      ['invited', 0],
      ['failed', 1],
      ['invited', 2],
    ]);
    expect(request.mock.calls.map(([path, , options]) => [path, options?.body])).toEqual([
      ['/admin/users', { email: 'a@example.org', role: 'auditors' }],
      ['/admin/users', { email: 'b@example.org', role: 'auditors' }],
      ['/admin/users', { email: 'c@example.org', role: 'auditors' }],
    ]);
  });

  it.each([
    [503, "The user pool's daily e-mail limit is reached, so no invitation was sent.", 3600],
    [429, 'Too many requests.', 5],
    [401, 'The access token is invalid or expired.', undefined],
  ])(
    'stops at a %s, which would meet every address after it, and sends nothing more',
    async (status, detail, wait) => {
      const { api, request } = apiAnswering({ 'b@example.org': problem(status, detail, wait) });
      const outcomes = await inviteEach(
        api,
        ['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org'],
        'members',
      );
      expect(outcomes.map((o) => o.status)).toEqual(['invited', 'failed', 'not-tried', 'not-tried']);
      expect(request).toHaveBeenCalledTimes(2);
    },
  );

  it('reports a network failure on its address and goes on', async () => {
    const request = vi
      .fn()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockImplementation(async (_path: string, schema: { parse(value: unknown): unknown }) =>
        schema.parse(user('b@example.org')),
      );
    const api = { fetch: vi.fn(), request } as unknown as ApiClient;
    const outcomes = await inviteEach(api, ['a@example.org', 'b@example.org'], 'members');
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'invited']);
    expect(outcomes[0]).toMatchObject({ message: 'Something went wrong. Please try again.' });
  });
});
