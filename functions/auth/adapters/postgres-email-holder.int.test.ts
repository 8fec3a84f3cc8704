import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { emailHolder } from './postgres-email-holder';

const db = testDatabase();
const sqlDb = testSql();
const created: string[] = [];
afterAll(async () => {
  if (created.length) await db.deleteFrom('users').where('id', 'in', created).execute();
  await sqlDb.destroy();
  await db.destroy();
});

describe('emailHolder', () => {
  it('answers the id of the row that holds the address, whichever case either is written in', async () => {
    // Prepare: stored in mixed case, as a Cognito address may be.
    const id = randomUUID();
    created.push(id);
    await createTestUser(db, { id, email: `Holder-${id}@Example.test` });

    // Act and assess
    expect(await emailHolder(sqlDb, `holder-${id}@example.test`)).toBe(id);
    expect(await emailHolder(sqlDb, `HOLDER-${id}@EXAMPLE.TEST`)).toBe(id);
  });

  it('answers undefined when no row holds it, and takes LIKE wildcards and quotes as text', async () => {
    const id = randomUUID();
    created.push(id);
    await createTestUser(db, { id, email: `wild-${id}@example.test` });

    expect(await emailHolder(sqlDb, `nobody-${randomUUID()}@example.test`)).toBeUndefined();
    expect(await emailHolder(sqlDb, `wild-%@example.test`)).toBeUndefined();
    expect(await emailHolder(sqlDb, `' or ''='`)).toBeUndefined();
  });
});
