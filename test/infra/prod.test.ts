import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from './support';

let prod: SynthesizedStage;
beforeAll(() => {
  prod = synthesizeStage('prod');
});

describe('prod', () => {
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

  it('retains the data stores, keys and the user pool', () => {
    for (const type of [
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::Backup::BackupVault',
      'AWS::Cognito::UserPool',
    ]) {
      for (const r of resourcesOfType(prod, type))
        expect(r.resource.DeletionPolicy, `${type} ${r.id}`).toBe('Retain');
    }
  });

  it('runs a reader for failover and a minimum capacity that does not pause', () => {
    prod.templates.data.resourceCountIs('AWS::RDS::DBInstance', 2);
    prod.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 32 },
    });
  });

  it('requires TOTP MFA and blocks risky sign-ins', () => {
    prod.templates.auth.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('deploys the API functions as 10% canaries for 5 minutes', () => {
    const groups = Object.values(prod.templates.api.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups).toHaveLength(5);
    for (const g of groups)
      expect(g.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
  });

  it('reserves concurrency for the functions that query Aurora', () => {
    const reserved = resourcesOfType(prod, 'AWS::Lambda::Function').filter(
      (f) => f.props.ReservedConcurrentExecutions,
    );
    expect(reserved.map((f) => f.id).sort()).toEqual([
      expect.stringMatching(/^Fnadmin/),
      expect.stringMatching(/^Fnchat/),
      expect.stringMatching(/^Fnconversations/),
      expect.stringMatching(/^Fnusers/),
    ]);
  });

  it('keeps AWS API traffic on VPC endpoints reachable only by the functions', () => {
    const endpoints = resourcesOfType(prod, 'AWS::EC2::VPCEndpoint');
    expect(endpoints.length).toBe(5);
    prod.templates.data.resourceCountIs('AWS::EC2::NatGateway', 2);
  });
});
