import { describe, expect, it } from 'vitest';
import { createDatabase } from './database';
import { MigrationFailedError, migrateToLatest } from './migrator';

describe('migrateToLatest', () => {
  it('says the migrations could not run, naming none, when the database cannot be reached', async () => {
    // Prepare: nothing listens on port 1 of the loopback address.
    const db = createDatabase({
      DB_DRIVER: 'pg',
      DATABASE_URL: 'postgres://parley@127.0.0.1:1/parley',
      DB_POOL_MAX: 1,
    });

    try {
      // Act
      const error = await migrateToLatest(db).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(MigrationFailedError);
      expect(error).toMatchObject({ name: 'MigrationFailedError', migrationName: undefined });
      expect((error as Error).message).toMatch(/^Migrations could not run: .*ECONNREFUSED/);
      expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await db.destroy();
    }
  });
});

describe('MigrationFailedError', () => {
  it('names a failure that is not an Error by its text', () => {
    const error = new MigrationFailedError('0004-messages', { cause: 'lock timeout' });

    expect(error.message).toBe('Migration 0004-messages failed: lock timeout');
    expect(error.cause).toBe('lock timeout');
  });
});
