import { beforeEach, describe, expect, it, vi } from 'vitest';

const { migrateToLatest, getDatabase } = vi.hoisted(() => ({
  migrateToLatest: vi.fn(),
  getDatabase: vi.fn(() => ({ fake: 'db' })),
}));
vi.mock('../../shared/db/migrator', () => ({ migrateToLatest }));
vi.mock('../../shared/db/database', () => ({ getDatabase }));

import { handler } from './migrate';

beforeEach(() => {
  migrateToLatest.mockReset();
  getDatabase.mockClear();
});

describe('migrate handler', () => {
  it('applies pending migrations on Create and reports them', async () => {
    migrateToLatest.mockResolvedValue({
      results: [{ migrationName: '0001-users', direction: 'Up', status: 'Success' }],
    });
    const result = await handler({ RequestType: 'Create' });
    expect(migrateToLatest).toHaveBeenCalledWith({ fake: 'db' });
    expect(result).toEqual({
      PhysicalResourceId: 'parley-database-migrations',
      Data: { applied: '0001-users' },
    });
  });

  it('fails the deployment when a migration fails', async () => {
    migrateToLatest.mockRejectedValue(new Error('Migration 0004-messages failed: boom'));
    await expect(
      handler({ RequestType: 'Update', PhysicalResourceId: 'parley-database-migrations' }),
    ).rejects.toThrow('0004-messages');
  });

  it('does nothing on Delete', async () => {
    const result = await handler({ RequestType: 'Delete', PhysicalResourceId: 'old-id' });
    expect(migrateToLatest).not.toHaveBeenCalled();
    expect(getDatabase).not.toHaveBeenCalled();
    expect(result.PhysicalResourceId).toBe('old-id');
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
