import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestUser, testDatabase } from '#test/support/database';
import { EmailTakenError } from '../domain/admin-user';
import { postgresUserAdmin } from './postgres-user-admin';

const db = testDatabase();
afterAll(async () => {
  await db.destroy();
});

const NOW = new Date('2026-03-10T12:00:00Z');
const roleQuota = () => 100_000;

describe('postgresUserAdmin.insert', () => {
  it('answers EmailTakenError for an e-mail already in use, whatever its case', async () => {
    // Prepare
    const existing = await createTestUser(db);
    const id = randomUUID();

    // Act
    const error = await postgresUserAdmin(db, roleQuota)
      .insert({ id, email: existing.email.toUpperCase(), displayName: 'Twin', role: 'members' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EmailTakenError);
    expect(await postgresUserAdmin(db, roleQuota).get(id, NOW)).toBeUndefined();
  });

  it('passes on a refusal that is not a taken e-mail as it is (a NUL byte in the name)', async () => {
    const id = randomUUID();

    const error = await postgresUserAdmin(db, roleQuota)
      .insert({ id, email: `nul-${id}@example.test`, displayName: 'Ada\u0000', role: 'members' })
      .catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(EmailTakenError);
    expect(String(error)).toMatch(/0x00/);
  });

  it('stores a new user who then reads back with the role default quota', async () => {
    const id = randomUUID();
    const users = postgresUserAdmin(db, roleQuota);

    await users.insert({ id, email: `new-${id}@example.test`, displayName: 'New', role: 'auditors' });

    expect(await users.get(id, NOW)).toMatchObject({
      id,
      email: `new-${id}@example.test`,
      role: 'auditors',
      status: 'active',
      monthlyTokens: 100_000,
      quotaIsDefault: true,
    });
  });
});

describe('postgresUserAdmin writes and their listener', () => {
  it('tells the listener the id of each user a change or a revocation touched', async () => {
    // Prepare
    const user = await createTestUser(db);
    const changed: string[] = [];
    const users = postgresUserAdmin(db, roleQuota, (id) => changed.push(id));

    // Act
    await users.update(user.id, { monthlyTokens: 5_000 });
    await users.revokeTokens(user.id);

    // Assess
    expect(changed).toEqual([user.id, user.id]);
    expect(await users.get(user.id, NOW)).toMatchObject({ monthlyTokens: 5_000, quotaIsDefault: false });
  });

  it('writes without a listener', async () => {
    const user = await createTestUser(db);
    const users = postgresUserAdmin(db, roleQuota);

    await users.update(user.id, { role: 'auditors', status: 'disabled' });

    expect(await users.get(user.id, NOW)).toMatchObject({ role: 'auditors', status: 'disabled' });
  });
});
