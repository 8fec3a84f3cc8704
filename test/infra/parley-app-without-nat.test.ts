import { beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig, stageConfig } from '../../lib/config/stages';
import { ourFunctions, resourcesOfType, type SynthesizedStage, synthesizeStage } from './support';

/**
 * The dev option without a NAT gateway (docs/cost.md): cache off, the functions outside the VPC,
 * the VPC holding Aurora and the rotation functions with one Secrets Manager endpoint.
 */
let lean: SynthesizedStage;
beforeAll(() => {
  lean = synthesizeStage('dev', {
    change: (c) => ({
      ...c,
      network: { ...c.network, natGateways: 0 },
      cache: { ...c.cache, enabled: false },
    }),
  });
});

describe('a dev stage without a NAT gateway', () => {
  it('has no NAT gateway, public subnet, Elastic IP or cache', () => {
    for (const type of [
      'AWS::EC2::NatGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::InternetGateway',
      'AWS::ElastiCache::ServerlessCache',
      'AWS::SSM::Parameter',
    ]) {
      expect(resourcesOfType(lean, type), type).toEqual([]);
    }
  });

  it('runs the functions outside the VPC, without cache settings or cache grants', () => {
    const functions = ourFunctions(lean);
    expect(functions.length).toBeGreaterThan(5);
    for (const f of functions) {
      expect(f.props.VpcConfig, f.id).toBeUndefined();
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.CACHE_ENDPOINT, f.id).toBeUndefined();
    }
    expect(JSON.stringify(lean.templates.api.toJSON())).not.toContain('elasticache:Connect');
  });

  it('gives the rotation functions one Secrets Manager endpoint, in one AZ', () => {
    const endpoints = resourcesOfType(lean, 'AWS::EC2::VPCEndpoint').filter(
      (e) => e.props.VpcEndpointType === 'Interface',
    );
    expect(endpoints).toHaveLength(1);
    expect(JSON.stringify(endpoints[0]?.props.ServiceName)).toContain('secretsmanager');
    expect(endpoints[0]?.props.SubnetIds).toHaveLength(1);
    lean.templates.data.resourceCountIs('AWS::Serverless::Application', 2);
  });

  it('is refused with the cache on: functions in the VPC need a NAT to reach Cognito', () => {
    const dev = stageConfig('dev');
    expect(() => parseStageConfig({ ...dev, network: { ...dev.network, natGateways: 0 } })).toThrow(
      /network\.natGateways: can be 0 only with cache\.enabled false/,
    );
  });
});
