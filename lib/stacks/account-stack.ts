import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;
/** The account-level stack: deployed once per account, never with a stage (`-c account=true`). */
export const ACCOUNT_STACK_NAME = 'Parley-Account';

/**
 * The account's GitHub OIDC provider (IAM allows one per URL and account), by ARN: the stages'
 * deploy roles trust it without referencing the account stack, so no stage owns or locks it.
 */
export function githubOidcProviderArn(stack: Stack): string {
  return stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'oidc-provider',
    resourceName: GITHUB_OIDC_HOST,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * What an AWS account holds for every Parley stage deployed in it: the GitHub OIDC provider.
 * It outlives the stack (retained) and the stack resists deletion (termination protection), so
 * tearing a stage down, or this stack, never breaks delivery of the other stages.
 */
export class AccountStack extends Stack {
  readonly githubOidcProvider: iam.OidcProviderNative;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { terminationProtection: true, ...props });
    this.githubOidcProvider = new iam.OidcProviderNative(this, 'GithubOidc', {
      url: GITHUB_OIDC_URL,
      clientIds: ['sts.amazonaws.com'],
      // IAM ignores thumbprints for GitHub (it trusts the CA); one valid value is still required.
      thumbprints: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
    });
    this.githubOidcProvider.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
