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

describe('database monitoring', () => {
  it('keeps Performance Insights (Database Insights standard mode, 7 days) on every instance, under the data key', () => {
    for (const stage of [dev, prod]) {
      // Prepare
      const dataKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
      const instances = resourcesOfType(stage, 'AWS::RDS::DBInstance');

      // Act / Assess: the cluster's setting, and the same on the writer and each reader (Database
      // Insights needs every instance of the cluster to have the same Performance Insights settings).
      stage.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
        PerformanceInsightsEnabled: true,
        PerformanceInsightsRetentionPeriod: 7,
        PerformanceInsightsKmsKeyId: dataKey,
        DatabaseInsightsMode: 'standard',
      });
      expect(instances.length).toBeGreaterThan(0);
      stage.templates.data.allResourcesProperties('AWS::RDS::DBInstance', {
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 7,
        PerformanceInsightsKMSKeyId: dataKey,
      });
    }
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

describe('database logs', () => {
  it('keeps bound values and key details out of the PostgreSQL log it exports', () => {
    for (const stage of [dev, prod]) {
      // Prepare
      const [cluster] = resourcesOfType(stage, 'AWS::RDS::DBCluster');

      // Act / Assess: the log goes to CloudWatch, and slow statements are logged without their
      // parameters' values; errors without DETAIL (a unique violation's key).
      expect(cluster?.props.EnableCloudwatchLogsExports).toEqual(['postgresql']);
      stage.templates.data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
        Parameters: Match.objectLike({
          log_min_duration_statement: '1000',
          log_parameter_max_length: '0',
          log_parameter_max_length_on_error: '0',
          log_error_verbosity: 'terse',
        }),
      });
    }
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

  it('holds nothing that keeps Aurora from pausing where minCapacity is 0, Performance Insights kept', () => {
    // What AWS documents as keeping an Aurora Serverless v2 instance from pausing at 0 ACUs
    // (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html):
    // an RDS Proxy (its pooled connections), logical replication (rds.logical_replication), a
    // global database, a zero-ETL integration. Performance Insights is not among them, so it is
    // kept; the Data API wakes a paused cluster (DatabaseResumingException, which the client retries).
    const pausing = [dev, prod].filter((stage) => stage.stacks.config.database.minCapacity === 0);
    expect(pausing.map((stage) => stage.stacks.config.stage)).toEqual(['dev']);
    for (const stage of pausing) {
      const [cluster] = resourcesOfType(stage, 'AWS::RDS::DBCluster');
      expect(cluster?.props.ServerlessV2ScalingConfiguration).toMatchObject({ MinCapacity: 0 });
      for (const type of ['AWS::RDS::DBProxy', 'AWS::RDS::GlobalCluster', 'AWS::RDS::Integration']) {
        expect(resourcesOfType(stage, type), type).toEqual([]);
      }
      expect(cluster?.props.GlobalClusterIdentifier).toBeUndefined();
      for (const type of ['AWS::RDS::DBClusterParameterGroup', 'AWS::RDS::DBParameterGroup']) {
        for (const group of resourcesOfType(stage, type)) {
          const parameters = (group.props.Parameters ?? {}) as Record<string, unknown>;
          expect(['0', 'off', undefined], `${group.id} rds.logical_replication`).toContain(
            parameters['rds.logical_replication'],
          );
        }
      }
      expect(cluster?.props.EnableHttpEndpoint).toBe(true);
      for (const instance of resourcesOfType(stage, 'AWS::RDS::DBInstance')) {
        expect(instance.props.EnablePerformanceInsights, instance.id).toBe(true);
      }
    }
  });

  it('pauses Aurora only on an engine version and after an idle time AWS accepts for 0 ACUs', () => {
    // SecondsUntilAutoPause: "between 300 seconds (five minutes) and 86,400 seconds (one day).
    // The default is 300 seconds", and it exists only while the minimum capacity is 0 (RDS API
    // Reference, ServerlessV2ScalingConfiguration / ServerlessV2ScalingConfigurationInfo).
    // A minimum of 0 ACUs needs Aurora PostgreSQL "13.15 and higher, 14.12 and higher, 15.7 and
    // higher, 16.3 and higher" (the ACU range 0–256 row of the capacity table, Aurora User Guide,
    // "How Aurora Serverless v2 works", docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/
    // aurora-serverless-v2.how-it-works.html#aurora-serverless-v2.how-it-works.capacity).
    const MIN_MINOR_FOR_ZERO_ACU: Readonly<Record<string, number>> = { '13': 15, '14': 12, '15': 7, '16': 3 };
    for (const stage of [dev, prod]) {
      const [cluster] = resourcesOfType(stage, 'AWS::RDS::DBCluster');
      const scaling = cluster?.props.ServerlessV2ScalingConfiguration as {
        MinCapacity: number;
        SecondsUntilAutoPause?: number;
      };
      const name = stage.stacks.config.stage;
      if (scaling.MinCapacity !== 0) {
        expect(scaling.SecondsUntilAutoPause, name).toBeUndefined();
        continue;
      }
      const seconds = scaling.SecondsUntilAutoPause ?? 300;
      expect(seconds, name).toBeGreaterThanOrEqual(300);
      expect(seconds, name).toBeLessThanOrEqual(86_400);
      const [major = '', minor = ''] = String(cluster?.props.EngineVersion).split('.');
      expect(MIN_MINOR_FOR_ZERO_ACU[major], `${name}: PostgreSQL ${major} with 0 ACUs`).toBeDefined();
      expect(Number(minor), `${name}: ${String(cluster?.props.EngineVersion)}`).toBeGreaterThanOrEqual(
        MIN_MINOR_FOR_ZERO_ACU[major] ?? Infinity,
      );
    }
  });

  it('rotates the database secret and keeps the OpenAI key out of the template', () => {
    // The master user's and the application role's.
    dev.templates.data.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    const secrets = resourcesOfType(dev, 'AWS::SecretsManager::Secret');
    for (const s of secrets) expect(s.props.SecretString, s.id).toBeUndefined();
  });

  it('keeps the DML-only application role’s credentials in a secret of its own, rotated monthly', () => {
    const t = dev.templates.data;
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"parley_app","dbname":"parley"}',
      }),
    });
    // Not at once: the role exists only after the migrator (Api stack) has run migration 0012.
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('^ApplicationSecretAttachment') },
      RotateImmediatelyOnUpdate: false,
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'parley-dev-ApplicationSecretRotationFailed',
    });
  });

  it('alarms when the database secret rotation fails', () => {
    const t = dev.templates.data;
    const [app] = Object.entries(t.findResources('AWS::Serverless::Application'))
      .filter(([id]) => id.startsWith('DatabaseRotationSingleUser'))
      .map(([, r]) => r);
    const functionName = (app?.Properties as { Parameters: { functionName: string } }).Parameters
      .functionName;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'parley-dev-DatabaseSecretRotationFailed',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      Threshold: 1,
      AlarmActions: [Match.anyValue()],
    });
  });

  it('leaves the default security group to the cdk.json flag (no rules on it)', () => {
    dev.templates.data.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  it('backs Aurora up with an AWS Backup plan into the encrypted vault', () => {
    dev.templates.data.resourceCountIs('AWS::Backup::BackupPlan', 1);
    dev.templates.data.resourceCountIs('AWS::Backup::BackupSelection', 1);
  });

  it("pages when an AWS Backup job of the stage's vault fails, within CloudWatch's rules for the query", () => {
    for (const stage of [dev, prod]) {
      const name = stage.stacks.config.stage;
      const template = stage.templates.data;
      const [vaultId] = Object.keys(template.findResources('AWS::Backup::BackupVault'));
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
        Properties: Record<string, unknown> & {
          Metrics: { Expression?: unknown; Period?: number; ReturnData?: boolean }[];
        };
      }[];
      const failed = alarms.find((a) => a.Properties.AlarmName === `parley-${name}-BackupJobFailed`);
      expect(failed?.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        // No job, or no failure, publishes nothing: that is no fault.
        TreatMissingData: 'notBreaching',
      });
      // CloudWatch's list of the dimension combinations each AWS metric is published under
      // (CloudWatch User Guide, "Supported metrics for resource tags for telemetry",
      // docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/SupportedMetricsForResourceTagsForTelemetry.html)
      // gives AWS/Backup NumberOfBackupJobsFailed as "BackupVaultName" and "BackupVaultName,
      // ResourceType". SCHEMA takes only "the metrics that exactly match a list of dimensions"
      // (CloudWatch User Guide, "Metrics Insights query components and syntax"): the second
      // combination, summed over every resource type of this stage's vault (not another stage's in
      // the same account and Region), each failed job once. AWS Backup's own CloudWatch page was
      // not available to read.
      const [query] = failed?.Properties.Metrics ?? [];
      expect(query?.Expression).toEqual({
        'Fn::Join': [
          '',
          [
            `SELECT SUM(NumberOfBackupJobsFailed) FROM SCHEMA("AWS/Backup", BackupVaultName, ResourceType) WHERE BackupVaultName = '`,
            { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] },
            "'",
          ],
        ],
      });
      const sql = String((query?.Expression as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][0]);
      const parsed = /^SELECT (\w+)\((\w+)\) FROM SCHEMA\("([^"]+)", ([^)]*)\)/.exec(sql);
      expect({
        statistic: parsed?.[1],
        metricName: parsed?.[2],
        namespace: parsed?.[3],
        dimensions: parsed?.[4]?.split(/,\s*/).sort(),
      }).toEqual({
        statistic: 'SUM',
        metricName: 'NumberOfBackupJobsFailed',
        namespace: 'AWS/Backup',
        dimensions: ['BackupVaultName', 'ResourceType'],
      });
      // A Metrics Insights alarm evaluates "Only the latest 3 hours of data" (CloudWatch User
      // Guide, alarm "Limits", docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html):
      // an hourly sum, one period.
      expect(query?.Period).toBe(3600);
      expect(JSON.stringify(failed?.Properties.AlarmActions)).toContain('AlarmTopic');
    }
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
    // S3 (gateway), Secrets Manager, RDS Data, X-Ray.
    expect(endpoints.length).toBe(4);
    // One per AZ: 2 here, where CDK without an account knows 2 AZs (maxAzs when deployed, below).
    prod.templates.data.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('lets the rotation function reach Secrets Manager through its endpoint', () => {
    const t = prod.templates.data;
    const groups = t.findResources('AWS::EC2::SecurityGroup');
    const idOf = (pattern: RegExp) => Object.keys(groups).find((id) => pattern.test(id)) ?? 'missing';
    const rotation = idOf(/^RotationSecurityGroup/);
    const endpoint = idOf(/^VpcSecretsManagerSecurityGroup/);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [endpoint, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [rotation, 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
    });
    // …and the database port, and nothing else.
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [rotation, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [idOf(/^DatabaseSecurityGroup/), 'GroupId'] },
      FromPort: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Database'), 'Endpoint.Port'] },
    });
    // The hosted rotation application runs in that group.
    t.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({ vpcSecurityGroupIds: { 'Fn::GetAtt': [rotation, 'GroupId'] } }),
    });
  });

  it("sends each AZ's functions out through a NAT gateway in their own AZ, as deployed", () => {
    // "If you have resources in multiple Availability Zones and they share one NAT gateway, and
    // if the NAT gateway's Availability Zone is down, resources in the other Availability Zones
    // lose internet access. To improve resiliency, create a NAT gateway in each Availability
    // Zone" (Amazon VPC User Guide, "NAT gateway basics"). The other tests synthesize without an
    // account, where CDK puts the VPC in 2 AZs whatever maxAzs says (Stack.availabilityZones);
    // `cdk deploy` knows the account and spreads it over maxAzs of the region's AZs, as here.
    // Prepare
    const account = '123456789012';
    const { region, network } = prod.stacks.config;
    const zones = ['a', 'b', 'c', 'd'].map((z) => `${region}${z}`);
    const deployed = synthesizeStage('prod', {
      change: (c) => ({ ...c, account }),
      context: { [`availability-zones:account=${account}:region=${region}`]: zones },
    });

    // Act
    const subnets = resourcesOfType(deployed, 'AWS::EC2::Subnet');
    const azOf = new Map(subnets.map((s) => [s.id, s.props.AvailabilityZone as string]));
    const natAz = new Map(
      resourcesOfType(deployed, 'AWS::EC2::NatGateway').map((n) => [
        n.id,
        azOf.get((n.props.SubnetId as { Ref: string }).Ref),
      ]),
    );
    const routeTableAz = new Map(
      resourcesOfType(deployed, 'AWS::EC2::SubnetRouteTableAssociation').map((a) => [
        (a.props.RouteTableId as { Ref: string }).Ref,
        azOf.get((a.props.SubnetId as { Ref: string }).Ref),
      ]),
    );
    const natRoutes = resourcesOfType(deployed, 'AWS::EC2::Route').filter((r) => r.props.NatGatewayId);

    // Assess: the app subnets span maxAzs AZs, and each one's way out stays in its AZ.
    const appZones = new Set(subnets.filter((s) => s.id.startsWith('Vpcapp')).map((s) => azOf.get(s.id)));
    expect(appZones.size).toBe(network.maxAzs);
    expect(natAz.size).toBe(network.maxAzs);
    expect(natRoutes).toHaveLength(network.maxAzs);
    for (const route of natRoutes) {
      const table = (route.props.RouteTableId as { Ref: string }).Ref;
      const nat = (route.props.NatGatewayId as { Ref: string }).Ref;
      expect(natAz.get(nat), `${route.id} leaves ${String(routeTableAz.get(table))}`).toBe(
        routeTableAz.get(table),
      );
    }
  });

  it('has no Cognito endpoint: a user pool with a domain is incompatible with PrivateLink', () => {
    // Cognito developer guide, "VPC interface endpoints": requests through the endpoint to a pool
    // with a domain do not complete, so private DNS for cognito-idp would break every call.
    prod.templates.auth.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    for (const stage of [dev, prod]) {
      for (const e of resourcesOfType(stage, 'AWS::EC2::VPCEndpoint')) {
        expect(JSON.stringify(e.props.ServiceName), e.id).not.toContain('cognito-idp');
      }
    }
  });
});
