import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages';
import { ParleyWebAcl } from '../constructs/web-acl';

export interface EdgeWafStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * The CloudFront web ACL. WAF requires CLOUDFRONT-scope ACLs to live in us-east-1, so this stack
 * is deployed there and the web stack reads its ARN through a cross-region reference.
 */
export class EdgeWafStack extends Stack {
  readonly waf: ParleyWebAcl;

  constructor(scope: Construct, id: string, props: EdgeWafStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.waf = new ParleyWebAcl(this, 'Waf', {
      logging: { retentionDays: config.logRetentionDays, retain: config.retainData },
      scope: 'CLOUDFRONT',
      name: `parley-${config.stage}-edge`,
      // Here the connecting address is the viewer's own.
      rateLimitPer5Min: config.api.wafRateLimitPer5Min,
      messageRoute: {
        rateLimitPer5Min: config.api.wafMessageRateLimitPer5Min,
        maxBodyBytes: config.api.maxMessageBodyBytes,
      },
    });
  }
}
