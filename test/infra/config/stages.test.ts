import { describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '#auth/domain/password-policy';
import { parseStageConfig, STAGES, stageConfig } from '../../../lib/config/stages';
import { CUSTOM_DOMAIN as domain } from '../fixtures';

describe('stage configuration', () => {
  it.each(STAGES)('validates the %s configuration', (stage) => {
    expect(stageConfig(stage).stage).toBe(stage);
  });

  it('refuses an unknown stage by name', () => {
    expect(() => stageConfig('qa')).toThrow(/Unknown stage "qa"/);
  });

  it('scales the dev database to zero and keeps prod backups 35 days', () => {
    expect(stageConfig('dev').database.minCapacity).toBe(0);
    expect(stageConfig('prod').database.backupRetentionDays).toBe(35);
  });

  it('refuses a prod configuration without MFA, deletion protection or canaries', () => {
    const prod = stageConfig('prod');
    const weakened = {
      ...prod,
      auth: { ...prod.auth, mfa: 'OPTIONAL' },
      database: { ...prod.database, deletionProtection: false },
      canaryDeployments: false,
    };
    expect(() => parseStageConfig(weakened)).toThrow(
      /mfa must be REQUIRED[\s\S]*deletionProtection[\s\S]*canaryDeployments/,
    );
  });

  it('refuses a custom domain without its certificate', () => {
    const dev = stageConfig('dev');
    expect(() => parseStageConfig({ ...dev, web: { domainName: 'chat.example.com' } })).toThrow(
      /domainName and certificateArn/,
    );
  });

  it('reserves no Lambda concurrency unless a stage opts in, and then wants the account quota stated', () => {
    for (const stage of STAGES) expect(stageConfig(stage).api.reservedConcurrency, stage).toBeUndefined();
    const prod = stageConfig('prod');
    expect(() => parseStageConfig({ ...prod, api: { ...prod.api, reservedConcurrency: 200 } })).toThrow(
      /api\.lambdaConcurrencyQuota: is required with reservedConcurrency/,
    );
    expect(
      parseStageConfig({
        ...prod,
        api: { ...prod.api, reservedConcurrency: 200, lambdaConcurrencyQuota: 1000 },
      }).api.reservedConcurrency,
    ).toBe(200);
  });

  it('names a bad field in the error', () => {
    expect(() => parseStageConfig({ ...stageConfig('dev'), alarmEmail: 'nobody' })).toThrow(/alarmEmail/);
  });
});

describe('password policy', () => {
  it('holds the values Cognito and the local server enforce', () => {
    expect(PASSWORD_POLICY).toEqual({
      minLength: 12,
      requireUppercase: true,
      requireLowercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidityDays: 3,
    });
    expect(Object.isFrozen(PASSWORD_POLICY)).toBe(true);
  });
});

describe('a stage with a custom domain', () => {
  it('refuses a hosted zone that does not hold the domain', () => {
    expect(() =>
      parseStageConfig({
        ...stageConfig('dev'),
        web: { ...domain, hostedZone: { id: 'Z0123', name: 'other.org' } },
      }),
    ).toThrow(/web.hostedZone.name: the hosted zone must hold web.domainName/);
  });
});
