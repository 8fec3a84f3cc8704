import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
});

describe('encryption at rest', () => {
  it('encrypts Aurora with the customer-managed key', () => {
    dev.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
    });
  });

  it('encrypts the Valkey cache, both secrets and the backup vault with the data key', () => {
    const dataKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
    dev.templates.data.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { KmsKeyId: dataKey });
    dev.templates.data.allResourcesProperties('AWS::SecretsManager::Secret', { KmsKeyId: dataKey });
    dev.templates.data.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: dataKey });
  });
});

describe('transport security', () => {
  it('requires TLS (and IAM auth) on the cache and the database', () => {
    dev.templates.data.hasResourceProperties('AWS::ElastiCache::User', {
      AuthenticationMode: { Type: 'iam' },
    });
    dev.templates.data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
    dev.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      EnableIAMDatabaseAuthentication: true,
      EnableHttpEndpoint: true,
      Port: Match.not(5432),
    });
  });
});

describe('data', () => {
  it('scales Aurora Serverless v2 (16.x) to zero in dev', () => {
    dev.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4 },
    });
  });

  it('rotates the database secret and keeps the OpenAI key out of the template', () => {
    dev.templates.data.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    const secrets = resourcesOfType(dev, 'AWS::SecretsManager::Secret');
    for (const s of secrets) expect(s.props.SecretString, s.id).toBeUndefined();
  });

  it('backs Aurora up with an AWS Backup plan into the encrypted vault', () => {
    dev.templates.data.resourceCountIs('AWS::Backup::BackupPlan', 1);
    dev.templates.data.resourceCountIs('AWS::Backup::BackupSelection', 1);
  });

  it('keeps database and cache in isolated subnets', () => {
    dev.templates.data.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('dataSubnet') }]),
    });
    dev.templates.data.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('dataSubnet') }]),
    });
  });
});

describe('in prod', () => {
  it('keeps 35 days of Aurora backups, deletion protection and a snapshot on delete', () => {
    prod.templates.data.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({ BackupRetentionPeriod: 35, DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
    prod.templates.data.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({
        BackupPlanRule: Match.arrayWith([
          Match.objectLike({ RuleName: 'Daily', Lifecycle: { DeleteAfterDays: 35 } }),
        ]),
      }),
    });
  });

  it('runs a reader for failover and a minimum capacity that does not pause', () => {
    prod.templates.data.resourceCountIs('AWS::RDS::DBInstance', 2);
    prod.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 32 },
    });
  });

  it('keeps AWS API traffic on VPC endpoints reachable only by the functions', () => {
    const endpoints = resourcesOfType(prod, 'AWS::EC2::VPCEndpoint');
    expect(endpoints.length).toBe(5);
    prod.templates.data.resourceCountIs('AWS::EC2::NatGateway', 2);
  });
});
