import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const { migrateToLatest, createDatabase, fakeDb } = vi.hoisted(() => {
  const fakeDb = { fake: 'db', destroy: () => Promise.resolve() };
  return {
    fakeDb,
    migrateToLatest: vi.fn(),
    createDatabase: vi.fn((_config: unknown) => fakeDb),
  };
});
vi.mock('../../shared/db/migrator', () => ({ migrateToLatest }));
vi.mock('../../shared/db/database', () => ({ createDatabase }));

import { dataApiError, whatTheRuntimeWrites } from '#test/support/lambda-runtime';
import { handler } from './migrate';

/** The migrator's environment on AWS: the database and nothing of the user pool (deployed after it). */
const MIGRATOR_ENV = {
  DB_DRIVER: 'data-api',
  DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley-dev',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db-AbCdEf',
  DB_NAME: 'parley',
};

beforeEach(() => {
  migrateToLatest.mockReset();
  createDatabase.mockClear();
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(MIGRATOR_ENV)) vi.stubEnv(name, value);
  vi.stubEnv('COGNITO_USER_POOL_ID', undefined);
});

describe('migrate handler', () => {
  it('applies pending migrations on Create and reports them', async () => {
    migrateToLatest.mockResolvedValue({
      results: [{ migrationName: '0001-users', direction: 'Up', status: 'Success' }],
    });
    const result = await handler({ RequestType: 'Create' });
    expect(migrateToLatest).toHaveBeenCalledWith(fakeDb);
    expect(result).toEqual({
      PhysicalResourceId: 'parley-database-migrations',
      Data: { applied: '0001-users' },
    });
  });

  it('connects with the database settings alone: the user pool is deployed after it', async () => {
    migrateToLatest.mockResolvedValue({});

    await handler({ RequestType: 'Update', PhysicalResourceId: 'parley-database-migrations' });

    expect(createDatabase).toHaveBeenCalledWith({
      ...MIGRATOR_ENV,
      AWS_REGION: expect.any(String) as unknown as string,
    });
  });

  it('fails the deployment, naming the variable, when its database settings are missing', async () => {
    vi.stubEnv('DB_CLUSTER_ARN', undefined);

    await expect(handler({ RequestType: 'Create' })).rejects.toThrow('DB_CLUSTER_ARN is required');
    expect(migrateToLatest).not.toHaveBeenCalled();
  });

  it('fails the deployment when a migration fails', async () => {
    migrateToLatest.mockRejectedValue(new Error('Migration 0004-messages failed: boom'));
    await expect(
      handler({ RequestType: 'Update', PhysicalResourceId: 'parley-database-migrations' }),
    ).rejects.toThrow('0004-messages');
  });

  it("fails the deployment without the failing key: the failure reason is the error's cleaned message", async () => {
    // Prepare: a unique index over rows that collide; the Data API quotes the key in the message
    const marker = 'marker@example.com';
    migrateToLatest.mockRejectedValue(dataApiError(marker));

    // Act
    const failure = await handler({ RequestType: 'Create' }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: the deployment still fails, naming the constraint, and no reason holds the address
    expect(failure).toMatchObject({ name: 'DatabaseErrorException' });
    expect((failure as Error).message).toContain('users_email_lower_key');
    expect(whatTheRuntimeWrites(failure)).not.toContain(marker);
  });

  it('does nothing on Delete', async () => {
    const result = await handler({ RequestType: 'Delete', PhysicalResourceId: 'old-id' });
    expect(migrateToLatest).not.toHaveBeenCalled();
    expect(createDatabase).not.toHaveBeenCalled();
    expect(result.PhysicalResourceId).toBe('old-id');
  });

  it('succeeds, applying nothing and naming them, when a newer release has migrated the database', async () => {
    // Prepare: what migrateToLatest answers on a rollback to this release.
    migrateToLatest.mockResolvedValue({ results: [], newer: ['0023-future'] });
    const warn = vi.spyOn(Logger.prototype, 'warn');

    // Act
    const result = await handler({ RequestType: 'Update', PhysicalResourceId: 'parley-database-migrations' });

    // Assess
    expect(result).toEqual({ PhysicalResourceId: 'parley-database-migrations', Data: { applied: '' } });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('newer release'), { newer: ['0023-future'] });
  });

  it('reports nothing applied when the schema is already current', async () => {
    migrateToLatest.mockResolvedValue({});

    const result = await handler({ RequestType: 'Update', PhysicalResourceId: 'parley-database-migrations' });

    expect(result).toEqual({ PhysicalResourceId: 'parley-database-migrations', Data: { applied: '' } });
  });

  it('runs pending migrations when invoked with no event (a triggers.Trigger)', async () => {
    migrateToLatest.mockResolvedValue({
      results: [
        { migrationName: '0005-usage', direction: 'Up', status: 'Success' },
        { migrationName: '0006-audit', direction: 'Up', status: 'Success' },
      ],
    });

    const result = await handler(undefined);

    expect(result.Data).toEqual({ applied: '0005-usage,0006-audit' });
  });

  it('answers its own physical id on a Delete that names none, touching nothing', async () => {
    const result = await handler({ RequestType: 'Delete' });

    expect(result).toEqual({ PhysicalResourceId: 'parley-database-migrations', Data: { applied: '' } });
    expect(migrateToLatest).not.toHaveBeenCalled();
  });
});
