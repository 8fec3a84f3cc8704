import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages';
import { githubOidcProviderArn } from './account-stack';

/** The default CDK bootstrap qualifier; `cdk bootstrap` creates its roles. */
export const CDK_QUALIFIER = 'hnb659fds';
const CDK_ROLES = ['deploy-role', 'file-publishing-role', 'image-publishing-role', 'lookup-role'];

export interface DeliveryStackProps extends StackProps {
  readonly config: StageConfig;
  /** Regions the pipeline deploys to (the stage's region and us-east-1 for the edge WAF). */
  readonly regions: readonly string[];
}

/**
 * Continuous delivery from GitHub Actions without stored keys: a role that a workflow of one
 * repository and environment may assume through the account's GitHub OIDC provider (the account
 * stack's), and that may do nothing but assume the CDK bootstrap roles (which CloudFormation
 * then uses to deploy).
 */
export class DeliveryStack extends Stack {
  readonly deployRole: iam.Role;

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The provider belongs to the account stack (lib/stacks/account-stack.ts), deployed first.
    const providerArn = githubOidcProviderArn(this);

    this.deployRole = new iam.Role(this, 'DeployRole', {
      roleName: `parley-${config.stage}-github-deploy`,
      description: `GitHub Actions (${config.github.repository}, environment ${config.github.environment}) deploys Parley ${config.stage}`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.FederatedPrincipal(
        providerArn,
        {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            // Only jobs bound to this GitHub environment (with its protection rules) match.
            'token.actions.githubusercontent.com:sub': `repo:${config.github.repository}:environment:${config.github.environment}`,
          },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: props.regions.flatMap((region) =>
          CDK_ROLES.map(
            (role) =>
              `arn:${this.partition}:iam::${this.account}:role/cdk-${CDK_QUALIFIER}-${role}-${this.account}-${region}`,
          ),
        ),
      }),
    );
  }
}
