import { CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages';
import { ParleyWebAcl, pathStartsWith } from '../constructs/web-acl';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';

/** A request to the API carrying a bearer token: what a machine client sends. */
export const MACHINE_CLIENT_API_REQUEST: wafv2.CfnWebACL.StatementProperty = {
  andStatement: {
    statements: [
      pathStartsWith('/api/'),
      {
        byteMatchStatement: {
          fieldToMatch: { singleHeader: { Name: 'authorization' } },
          positionalConstraint: 'STARTS_WITH',
          searchString: 'bearer ',
          textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
        },
      },
    ],
  },
};

/**
 * How the web stack receives the ACL's ARN. `weak`: this stack's output, read with
 * `Fn::GetStackOutput`. `both`: the same, and CDK's export writer kept as an earlier release
 * deployed it, for the one deploy that takes such a stage off the writer and reader
 * (docs/deployment.md, "Stages deployed before Fn::GetStackOutput").
 */
export type EdgeAclReference = 'weak' | 'both';

export interface EdgeWafStackProps extends StackProps {
  readonly config: StageConfig;
  /** @default 'weak' */
  readonly aclReference?: EdgeAclReference;
}

/**
 * The CloudFront web ACL. WAF requires CLOUDFRONT-scope ACLs to live in us-east-1, so this stack
 * is deployed there and the web stack reads its ARN from this stack's output with
 * `Fn::GetStackOutput`, which CloudFormation resolves across Regions itself
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html).
 * CDK's default (strong) cross-region reference would instead add an export writer here and a
 * reader to the web stack: two Lambda functions whose log groups Lambda creates at their first
 * run, without a retention or our key, that CDK adds after our constructs so none can be declared.
 * The weak reference is safe for this value: WAF refuses to delete an ACL a distribution still
 * uses, and the ACL's fixed name rules out a silent replacement. `aclReference: 'both'` keeps the
 * writer (and its SSM parameters under /cdk/exports/) beside the output for one deploy, while the
 * web stack already reads the output and drops its reader (CDK's ReferenceStrength.BOTH).
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
      // Machine clients (CI runners, servers: cloud addresses) call the API with a bearer token;
      // the authorizer refuses a forged one. Everything else from hosting providers is blocked.
      hostingProviders: { machineClients: MACHINE_CLIENT_API_REQUEST },
      // What people write (messages, titles, instructions, search words) is not an attack.
      writtenText: true,
      messageRoute: {
        rateLimitPer5Min: config.api.wafMessageRateLimitPer5Min,
        maxBodyBytes: config.api.maxMessageBodyBytes,
      },
    });
    CrossStackReferences.of(this.waf.webAcl).produce(
      props.aclReference === 'both' ? ReferenceStrength.BOTH : ReferenceStrength.WEAK,
    );
  }
}
