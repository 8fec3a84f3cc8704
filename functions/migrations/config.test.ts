import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config';
import { migratorDatabaseConfig } from './config';

const ENV = {
  DB_DRIVER: 'data-api',
  DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-AbCdEf',
  DB_NAME: 'parley',
};

describe('migratorDatabaseConfig', () => {
  it('reads the Data API database alone, with the default Region', () => {
    expect(migratorDatabaseConfig(ENV)).toEqual({ ...ENV, AWS_REGION: 'eu-west-1' });
  });

  it('names each missing or malformed variable, never its value', () => {
    // Act
    const error = (() => {
      try {
        migratorDatabaseConfig({ ...ENV, DB_CLUSTER_ARN: undefined, DB_NAME: 'Robert"); drop' });
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'DB_CLUSTER_ARN is required',
      'DB_NAME: expected a database name',
    ]);
    expect((error as Error).message).not.toContain('drop');
  });
});
