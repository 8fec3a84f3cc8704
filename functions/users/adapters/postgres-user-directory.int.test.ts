import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { forgetRequestOrigin, rememberRequestOrigin } from '#shared/audit/request-origin';
import { problemFor } from '#shared/http/problem';
import { logger, metrics } from '#shared/powertools';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { EmailOfAnotherUserError, postgresUserDirectory } from './postgres-user-directory';

const db = testDatabase();
const queries = testSql();
/** The RDS Data API (the functions on AWS), played by real PostgreSQL. */
const onDataApi = sqlOnDataApi();
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

const NOW = new Date('2026-03-15T10:00:00Z');
const REQUEST_ID = 'req-1';

describe('postgresUserDirectory.tokensUsedSince', () => {
  it("sums this month's tokens over every model and day, and nothing before the 1st", async () => {
    // Prepare
    const user = await createTestUser(db);
    await db
      .insertInto('usage_daily')
      .values([
        {
          user_id: user.id,
          day: '2026-03-01',
          model: 'gpt-4o-mini',
          prompt_tokens: 40,
          completion_tokens: 2,
          cost_micros: 1,
        },
        {
          user_id: user.id,
          day: '2026-03-15',
          model: 'gpt-4.1',
          prompt_tokens: 8,
          completion_tokens: 0,
          cost_micros: 1,
        },
        {
          user_id: user.id,
          day: '2026-02-28',
          model: 'gpt-4o-mini',
          prompt_tokens: 900,
          completion_tokens: 9,
          cost_micros: 1,
        },
      ])
      .execute();

    // Act
    const used = await postgresUserDirectory(queries).tokensUsedSince(user.id, NOW);

    // Assess
    expect(used).toBe(50);
  });

  it('answers 0 for a user with no usage, and for an unknown user', async () => {
    const user = await createTestUser(db);
    const directory = postgresUserDirectory(queries);

    expect(await directory.tokensUsedSince(user.id, NOW)).toBe(0);
    expect(await directory.tokensUsedSince(`unknown-${randomUUID()}`, NOW)).toBe(0);
  });
});

describe('postgresUserDirectory.provision', () => {
  it('creates the row once: a second call with another role keeps the first', async () => {
    const id = randomUUID();
    const directory = postgresUserDirectory(queries);

    const first = await directory.provision(
      {
        id,
        email: `Ada-${id}@Example.test`,
        role: 'members',
        kind: 'user',
      },
      REQUEST_ID,
    );
    const again = await directory.provision(
      {
        id,
        email: `ada-${id}@example.test`,
        role: 'admins',
        kind: 'user',
      },
      REQUEST_ID,
    );

    expect(first).toMatchObject({ id, email: `ada-${id}@example.test`, role: 'members', status: 'active' });
    expect(again).toEqual(first);
  });

  describe.each(['pg', 'data-api'] as const)('on %s', (driver) => {
    const on = () => (driver === 'pg' ? queries : onDataApi.db());
    const requestId = `req-${randomUUID()}`;
    afterEach(() => {
      forgetRequestOrigin(requestId);
    });

    it('records the row it creates and the role it took, once, with the caller as the actor and the request it came in', async () => {
      // Prepare: a person Cognito's admins group made an admin, whom no trigger has provisioned,
      // calling from an address the API noted for the request.
      const id = randomUUID();
      const directory = postgresUserDirectory(on());
      rememberRequestOrigin(requestId, { sourceIp: '203.0.113.7', userAgent: 'Parley-Test/1.0' });

      // Act: two first requests at once, then a later one.
      await Promise.all([
        directory.provision(
          { id, email: `grace-${id}@example.test`, role: 'admins', kind: 'user' },
          requestId,
        ),
        directory.provision(
          { id, email: `grace-${id}@example.test`, role: 'admins', kind: 'user' },
          requestId,
        ),
      ]);
      await directory.provision(
        { id, email: `grace-${id}@example.test`, role: 'members', kind: 'user' },
        'req-2',
      );

      // Assess
      const audit = await db
        .selectFrom('audit_events')
        .select([
          'actor_id',
          'action',
          'target_type',
          'target_id',
          'request_id',
          'source_ip',
          'user_agent',
          'details',
        ])
        .where('target_id', '=', id)
        .execute();
      expect(audit).toEqual([
        {
          actor_id: id,
          action: 'user.provisioned',
          target_type: 'user',
          target_id: id,
          request_id: requestId,
          source_ip: '203.0.113.7',
          user_agent: 'Parley-Test/1.0',
          details: { after: { kind: 'user', role: 'admins', status: 'active' }, source: 'access-token' },
        },
      ]);
    });
  });

  it.each(['pg', 'data-api'] as const)(
    'gives every one of several first requests at once the same row, none refused as another account (%s)',
    async (driver) => {
      // Prepare: PostgreSQL checks `on conflict (id)` before inserting, so two inserts of the same
      // new row can both pass that check, and the second then meets the first's e-mail in the
      // e-mail's unique index: a unique violation that is not another person's address. Many
      // pairs of first requests, so the race is met.
      const directory = postgresUserDirectory(driver === 'pg' ? queries : onDataApi.db());
      const ids = Array.from({ length: 40 }, () => randomUUID());

      // Act
      const outcomes = await Promise.allSettled(
        ids.flatMap((id) =>
          [1, 2, 3].map(() =>
            directory.provision(
              { id, email: `twin-${id}@example.test`, role: null, kind: 'user' },
              REQUEST_ID,
            ),
          ),
        ),
      );

      // Assess
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason))).toEqual([]);
      const audited = await db
        .selectFrom('audit_events')
        .select(({ fn }) => fn.countAll<string>().as('n'))
        .where('target_id', 'in', ids)
        .where('action', '=', 'user.provisioned')
        .executeTakeFirstOrThrow();
      expect(Number(audited.n)).toBe(ids.length);
    },
  );

  it('records nothing for a row that was already there', async () => {
    const existing = await createTestUser(db, { role: null });

    await postgresUserDirectory(queries).provision(
      {
        id: existing.id,
        email: existing.email,
        role: 'admins',
        kind: 'user',
      },
      REQUEST_ID,
    );

    const audit = await db
      .selectFrom('audit_events')
      .select('id')
      .where('target_id', '=', existing.id)
      .execute();
    expect(audit).toEqual([]);
  });

  describe("for a caller whose e-mail is another row's (re-created in Cognito with a new sub)", () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('answers 409 saying an administrator must resolve it, and gives the caller no row', async () => {
      // Prepare
      const existing = await createTestUser(db, { role: 'admins' });
      const newSub = randomUUID();
      vi.spyOn(logger, 'error').mockImplementation(() => undefined);

      // Act
      const error = await postgresUserDirectory(queries)
        .provision(
          { id: newSub, email: existing.email.toUpperCase(), role: 'members', kind: 'user' },
          REQUEST_ID,
        )
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(EmailOfAnotherUserError);
      const answer = problemFor(error, 'req-1');
      expect(answer.statusCode).toBe(409);
      expect(JSON.parse(answer.body)).toMatchObject({
        status: 409,
        detail: expect.stringMatching(/another Parley account\. An administrator must resolve this/),
      });
      const rows = await db
        .selectFrom('users')
        .select(['id', 'role'])
        .where('id', 'in', [existing.id, newSub])
        .execute();
      expect(rows).toEqual([{ id: existing.id, role: 'admins' }]);
      const audit = await db
        .selectFrom('audit_events')
        .select('id')
        .where('target_id', '=', newSub)
        .execute();
      expect(audit).toEqual([]);
    });

    it('logs it as identity drift naming both ids, never the address, and counts it', async () => {
      const existing = await createTestUser(db);
      const newSub = randomUUID();
      const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
      const counted = vi.spyOn(metrics, 'addMetric');

      await postgresUserDirectory(queries)
        .provision({ id: newSub, email: existing.email, role: null, kind: 'user' }, REQUEST_ID)
        .catch(() => undefined);

      expect(logged).toHaveBeenCalledWith(expect.stringContaining('Cognito and the database disagree'), {
        drift: 'EmailOfAnotherUserError',
        userId: newSub,
        existingUserId: existing.id,
      });
      expect(JSON.stringify(logged.mock.calls)).not.toContain(existing.email);
      expect(counted).toHaveBeenCalledWith('IdentityDrift', 'Count', 1);
    });
  });
});

describe('postgresUserDirectory.find', () => {
  it("answers a user's own quota as a number, and null when the role's default applies", async () => {
    const own = await createTestUser(db, { monthly_token_quota: 12_345 });
    const byRole = await createTestUser(db);
    const directory = postgresUserDirectory(queries);

    expect(await directory.find(own.id)).toMatchObject({ id: own.id, monthlyTokens: 12_345 });
    expect(await directory.find(byRole.id)).toMatchObject({ id: byRole.id, monthlyTokens: null });
  });

  it('answers undefined for an unknown id, a hostile one included', async () => {
    const directory = postgresUserDirectory(queries);

    expect(await directory.find(`unknown-${randomUUID()}`)).toBeUndefined();
    expect(await directory.find("' or '1'='1")).toBeUndefined();
  });
});
