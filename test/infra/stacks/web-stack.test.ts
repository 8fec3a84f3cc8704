import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig, stageConfig } from '../../lib/config/stages';
import { addNagChecks, addParleyStage, cdkJsonContext } from '../../lib/parley-app';

const domain = {
  domainName: 'chat.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e',
  hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' },
};

let web: Template;
beforeAll(() => {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stacks = addParleyStage(app, parseStageConfig({ ...stageConfig('dev'), web: domain }));
  addNagChecks(app);
  const assembly = app.synth();
  web = Template.fromJSON(assembly.getStackByName(stacks.web.stackName).template);
});

describe('a stage with a custom domain', () => {
  it('serves the domain with its certificate and TLS 1.2 (2021) at the minimum', () => {
    web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['chat.example.com'],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: domain.certificateArn,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        }),
      }),
    });
  });

  it('points A and AAAA alias records of the hosted zone at the distribution', () => {
    for (const type of ['A', 'AAAA']) {
      web.hasResourceProperties('AWS::Route53::RecordSet', {
        Type: type,
        Name: 'chat.example.com.',
        HostedZoneId: domain.hostedZone.id,
        AliasTarget: Match.objectLike({ DNSName: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }) }),
      });
    }
  });

  it('refuses a hosted zone that does not hold the domain', () => {
    expect(() =>
      parseStageConfig({
        ...stageConfig('dev'),
        web: { ...domain, hostedZone: { id: 'Z0123', name: 'other.org' } },
      }),
    ).toThrow(/web.hostedZone.name: the hosted zone must hold web.domainName/);
  });
});
