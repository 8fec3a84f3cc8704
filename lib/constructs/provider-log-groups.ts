import { CfnResource, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

export interface ProviderLogGroupsProps {
  /** Encrypts the log groups (its policy must admit CloudWatch Logs). */
  readonly key: kms.IKey;
  readonly retentionDays: number;
}

/**
 * CDK's framework providers (the custom resource providers of the migration trigger, the VPC's
 * default security group restriction, bucket auto-delete) are plain CloudFormation functions with
 * no logging option: Lambda would create `/aws/lambda/<name>` at their first run, without a
 * retention or our key. This declares that group for each provider function the stack holds,
 * named after the function's Ref (CloudFormation generates the name), and makes the stack's custom
 * resources wait for it, so it exists before the first invocation and outlives the last (a custom
 * resource is deleted, and so invoked, before what it depends on). Call it once the stack holds
 * all its constructs. Returns the log groups declared.
 */
export function declareProviderLogGroups(stack: Stack, props: ProviderLogGroupsProps): logs.LogGroup[] {
  const resources = stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource);
  // Lambda's own L1 is what our functions and CDK's L2 singletons render; providers are bare.
  const providers = resources.filter(
    (r) => r.cfnResourceType === 'AWS::Lambda::Function' && !(r instanceof lambda.CfnFunction),
  );
  const customResources = resources.filter(
    (r) =>
      r.cfnResourceType.startsWith('Custom::') || r.cfnResourceType === 'AWS::CloudFormation::CustomResource',
  );
  return providers.map((provider) => {
    const scope = provider.node.scope ?? stack;
    const group = new logs.LogGroup(scope, `${provider.node.id}LogGroup`, {
      logGroupName: `/aws/lambda/${provider.ref}`,
      encryptionKey: props.key,
      retention: props.retentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const resource of customResources) resource.node.addDependency(group);
    return group;
  });
}
