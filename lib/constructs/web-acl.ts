import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { allowCloudWatchLogs } from './logs-key-policy';

/**
 * Matches the routes that call the model, whatever prefix (API stage, CloudFront) precedes `/api`:
 * a new message, and a reply written again (with its question edited, the same body limit). WAF's
 * regular expressions take no capturing group, hence `(?:…)`.
 */
export const MESSAGE_ROUTE_REGEX = '/api/conversations/[^/]+/messages(?:/[^/]+/regenerate)?/?$';

/**
 * The routes whose requests carry what people write, at the API stage's prefix or none: a
 * message and a reply written again (`content`), a conversation's title (create, rename), a
 * reply's feedback comment, the person's own instructions, and the words of a search or a
 * conversation filter (`q`). Other methods on the same paths carry no text of their own.
 */
export const WRITTEN_TEXT_ROUTE_REGEX =
  '^(?:/[A-Za-z0-9_-]+)?/api/(?:me/instructions|search|conversations(?:/[^/]+(?:/messages(?:/[^/]+/(?:regenerate|feedback))?)?)?)/?$';

/**
 * The managed rules that look for attack patterns in a request's body or query arguments, by
 * group, with the label each puts on a request it matches (the AWS Managed Rules reference,
 * baseline and use-case groups). Written text trips them: a question about `<script>` tags,
 * `SELECT … WHERE 1=1 OR …`, `../../etc/passwd`, `${jndi:ldap://…}` or a link to
 * `http://169.254.169.254/`. On the written-text routes they only count; everywhere else a rule
 * after the groups blocks what they label. What people write is data there: bound as a
 * parameter, shown as text, sent to the model, never run, read as a path or fetched.
 */
export const CONTENT_ATTACK_RULES = {
  AWSManagedRulesCommonRuleSet: {
    CrossSiteScripting_BODY: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body',
    CrossSiteScripting_QUERYARGUMENTS: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments',
    GenericLFI_BODY: 'awswaf:managed:aws:core-rule-set:GenericLFI_Body',
    GenericLFI_QUERYARGUMENTS: 'awswaf:managed:aws:core-rule-set:GenericLFI_QueryArguments',
    GenericRFI_BODY: 'awswaf:managed:aws:core-rule-set:GenericRFI_Body',
    GenericRFI_QUERYARGUMENTS: 'awswaf:managed:aws:core-rule-set:GenericRFI_QueryArguments',
    EC2MetaDataSSRF_BODY: 'awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body',
    EC2MetaDataSSRF_QUERYARGUMENTS: 'awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_QueryArguments',
    RestrictedExtensions_QUERYARGUMENTS:
      'awswaf:managed:aws:core-rule-set:RestrictedExtensions_QueryArguments',
  },
  AWSManagedRulesKnownBadInputsRuleSet: {
    JavaDeserializationRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body',
    JavaDeserializationRCE_QUERYSTRING:
      'awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_QueryString',
    Log4JRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body',
    Log4JRCE_QUERYSTRING: 'awswaf:managed:aws:known-bad-inputs:Log4JRCE_QueryString',
    ReactJSRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:ReactJSRCE_Body',
  },
  AWSManagedRulesSQLiRuleSet: {
    SQLi_BODY: 'awswaf:managed:aws:sql-database:SQLi_Body',
    SQLi_QUERYARGUMENTS: 'awswaf:managed:aws:sql-database:SQLi_QueryArguments',
    SQLiExtendedPatterns_BODY: 'awswaf:managed:aws:sql-database:SQLiExtendedPatterns_Body',
    SQLiExtendedPatterns_QUERYARGUMENTS:
      'awswaf:managed:aws:sql-database:SQLiExtendedPatterns_QueryArguments',
  },
} as const satisfies Record<string, Record<string, string>>;

/** The label the Common rule set puts on a request whose body exceeds its 8 KB limit. */
const SIZE_BODY_LABEL = 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body';
/** The label AnonymousIpList puts on a request from a hosting or cloud provider's address. */
export const HOSTING_PROVIDER_LABEL = 'awswaf:managed:aws:anonymous-ip-list:HostingProviderIPList';

/**
 * What the ACL does with AnonymousIpList's HostingProviderIPList (cloud and hosting addresses):
 * `block` everywhere, `count` only, or block except for the requests `machineClients` matches
 * (CI runners and servers live in clouds too).
 */
export type HostingProviderPolicy =
  'block' | 'count' | { readonly machineClients: wafv2.CfnWebACL.StatementProperty };

/** Matches requests whose URI path starts with `prefix` (case as sent). */
export function pathStartsWith(prefix: string): wafv2.CfnWebACL.StatementProperty {
  return {
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: 'STARTS_WITH',
      searchString: prefix,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

/**
 * The body inspection a chat body of `maxBodyBytes` needs: the default 16 KB (undefined), or the
 * next of WAF's steps (KB_32, KB_48, KB_64: each extra 16 KB is billed), so the size rule sees the
 * whole body it allows. WAF inspects at most 64 KB.
 */
export function bodyInspectionLimit(maxBodyBytes: number): 'KB_32' | 'KB_48' | 'KB_64' | undefined {
  if (maxBodyBytes > 64 * 1024) throw new Error('WAF inspects request bodies up to 64 KB');
  if (maxBodyBytes <= 16 * 1024) return undefined;
  if (maxBodyBytes <= 32 * 1024) return 'KB_32';
  return maxBodyBytes <= 48 * 1024 ? 'KB_48' : 'KB_64';
}

/** Matches requests whose URI path matches `regex` (case as sent). */
function uriPathMatches(regex: string): wafv2.CfnWebACL.StatementProperty {
  return {
    regexMatchStatement: {
      regexString: regex,
      fieldToMatch: { uriPath: {} },
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

/**
 * Matches requests whose header `name` (matched case-insensitively) equals `value` exactly; with
 * `lowercase`, the header's value is lower-cased first and `value` is given in lower case.
 */
function headerEquals(name: string, value: string, lowercase = false): wafv2.CfnWebACL.StatementProperty {
  return {
    byteMatchStatement: {
      fieldToMatch: { singleHeader: { Name: name.toLowerCase() } },
      positionalConstraint: 'EXACTLY',
      searchString: lowercase ? value.toLowerCase() : value,
      textTransformations: [{ priority: 0, type: lowercase ? 'LOWERCASE' : 'NONE' }],
    },
  };
}

export interface ParleyWebAclProps {
  /** REGIONAL for API Gateway and Cognito; CLOUDFRONT (stack in us-east-1) for the distribution. */
  readonly scope: 'REGIONAL' | 'CLOUDFRONT';
  /** Name prefix for the ACL and its CloudWatch metrics. */
  readonly name: string;
  /**
   * Letters, digits, spaces and `_+=:#@/-,.` only (WAF's pattern).
   * @default - none
   */
  readonly description?: string;
  /**
   * Requests per connecting IP address per 5 minutes, any route. The limits always key on the
   * address WAF sees, never on X-Forwarded-For, which any caller can write.
   */
  readonly rateLimitPer5Min: number;
  /** @default 'block' */
  readonly hostingProviders?: HostingProviderPolicy;
  /**
   * Block every request whose header `name` does not equal one of `values` exactly (header names
   * are matched case-insensitively). The API's ACL uses it for the secret CloudFront adds, so
   * the execute-api URL cannot be used around CloudFront and its ACL. The header is redacted
   * from the ACL's logs.
   */
  readonly requiredHeader?: { readonly name: string; readonly values: readonly string[] };
  /**
   * Where blocked and counted requests are logged (Authorization redacted). Without a key one is
   * made here: the edge ACL lives in us-east-1, away from the stage's keys.
   */
  readonly logging: {
    readonly retentionDays: number;
    readonly key?: kms.IKey;
    /** Keep the key and logs when the stack is deleted (prod). @default false */
    readonly retain?: boolean;
    /**
     * Redact the query string from the logs (search words and filters people type).
     * @default false
     */
    readonly redactQueryString?: boolean;
    /**
     * Headers redacted besides Authorization and the required header (any case).
     * @default - none
     */
    readonly redactedHeaders?: readonly string[];
  };
  /**
   * Cognito user pool API operations (`DeleteUser`, …) the ACL blocks, for an ACL associated with
   * a user pool: WAF sees its public operations, those authorized by an access token included,
   * and the SDKs answer a blocked one with `ForbiddenException`. A request is matched by the
   * operation name Cognito forwards (`x-amzn-cognito-operation-name`) or by the API's own
   * `X-Amz-Target` (`AWSCognitoIdentityProviderService.<operation>`, any case).
   * @default - none
   */
  readonly refusedCognitoOperations?: readonly string[];
  /**
   * In front of the API: on the routes that carry what people write (WRITTEN_TEXT_ROUTE_REGEX),
   * the managed rules that look for attack patterns in the body and query (CONTENT_ATTACK_RULES)
   * only count; a rule after the groups blocks what they label on every other route.
   * @default false - those rules block everywhere (the user pool's ACL)
   */
  readonly writtenText?: boolean;
  /** The chat route's own limits; omit for ACLs that never see it (the user pool). */
  readonly messageRoute?: {
    readonly rateLimitPer5Min: number;
    /** The largest chat body accepted; larger bodies are blocked at the edge. */
    readonly maxBodyBytes: number;
  };
}

/**
 * A WAFv2 web ACL with the AWS managed rule groups we rely on (IP reputation, anonymous IPs,
 * Common, KnownBadInputs, SQLi), per-IP rate limits and, for the chat route, a tighter rate
 * limit and our own body size rule in place of the Common set's 8 KB SizeRestrictions_BODY;
 * optionally a required header (the CloudFront origin secret) and machine clients let through
 * the hosting-provider list.
 */
export class ParleyWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly metricPrefix: string;
  /**
   * The value of the `WebACL` dimension of the ACL's AWS/WAFV2 metrics: its visibility config's
   * metric name, which is not the ACL's name.
   */
  readonly metricName: string;

  constructor(scope: Construct, id: string, props: ParleyWebAclProps) {
    super(scope, id);
    this.metricPrefix = props.name;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.name}-${metricName}`,
    });
    const aclVisibility = visibility('WebAcl');
    this.metricName = aclVisibility.metricName;
    const byIp = { aggregateKeyType: 'IP' };
    const hostingProviders = props.hostingProviders ?? 'block';
    const messageRouteMatch = uriPathMatches(MESSAGE_ROUTE_REGEX);
    const contentRules = (group: keyof typeof CONTENT_ATTACK_RULES): string[] =>
      props.writtenText ? Object.keys(CONTENT_ATTACK_RULES[group]) : [];
    const managed = (
      priority: number,
      name: string,
      overrides: string[] = [],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: overrides.length
            ? overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
            : undefined,
        },
      },
      visibilityConfig: visibility(name),
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    if (props.requiredHeader) {
      const { name, values } = props.requiredHeader;
      if (values.length === 0) throw new Error('requiredHeader needs at least one accepted value');
      const equals = (value: string) => headerEquals(name, value);
      const accepted =
        values.length === 1
          ? equals(values[0] as string)
          : { orStatement: { statements: values.map(equals) } };
      rules.push({
        // First, so a request without the header is refused before any other rule counts it.
        name: 'RequireOriginHeader',
        priority: 0,
        action: { block: {} },
        statement: { notStatement: { statement: accepted } },
        visibilityConfig: visibility('RequireOriginHeader'),
      });
    }
    rules.push({
      name: 'RatePerIp',
      priority: 1,
      action: { block: {} },
      statement: { rateBasedStatement: { limit: props.rateLimitPer5Min, ...byIp } },
      visibilityConfig: visibility('RatePerIp'),
    });
    if (props.messageRoute) {
      rules.push({
        name: 'RatePerIpMessages',
        priority: 2,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit: props.messageRoute.rateLimitPer5Min,
            ...byIp,
            // POST only: reading a conversation's messages (GET, the same path) is not a message.
            scopeDownStatement: {
              andStatement: {
                statements: [
                  messageRouteMatch,
                  {
                    byteMatchStatement: {
                      fieldToMatch: { method: {} },
                      positionalConstraint: 'EXACTLY',
                      searchString: 'POST',
                      textTransformations: [{ priority: 0, type: 'NONE' }],
                    },
                  },
                ],
              },
            },
          },
        },
        visibilityConfig: visibility('RatePerIpMessages'),
      });
    }
    const refused = props.refusedCognitoOperations ?? [];
    if (refused.length > 0) {
      if (refused.some((operation) => !/^[A-Za-z]+$/.test(operation)))
        throw new Error(`refusedCognitoOperations must be operation names: ${refused.join(', ')}`);
      const named = (operation: string) => [
        headerEquals('x-amzn-cognito-operation-name', operation),
        headerEquals('x-amz-target', `AWSCognitoIdentityProviderService.${operation}`, true),
      ];
      rules.push({
        name: 'RefusedCognitoOperations',
        priority: 6,
        action: { block: {} },
        statement: { orStatement: { statements: refused.flatMap(named) } },
        visibilityConfig: visibility('RefusedCognitoOperations'),
      });
    }
    rules.push(
      managed(3, 'AWSManagedRulesAmazonIpReputationList'),
      managed(
        4,
        'AWSManagedRulesAnonymousIpList',
        hostingProviders === 'block' ? [] : ['HostingProviderIPList'],
      ),
      // SizeRestrictions_BODY only counts (and labels); the two rules after it decide.
      managed(10, 'AWSManagedRulesCommonRuleSet', [
        ...(props.messageRoute ? ['SizeRestrictions_BODY'] : []),
        ...contentRules('AWSManagedRulesCommonRuleSet'),
      ]),
    );
    if (typeof hostingProviders === 'object') {
      rules.push({
        // The list's rule only counts (and labels); this blocks what is not a machine client's.
        name: 'HostingProvidersExceptMachineClients',
        priority: 5,
        action: { block: {} },
        statement: {
          andStatement: {
            statements: [
              { labelMatchStatement: { scope: 'LABEL', key: HOSTING_PROVIDER_LABEL } },
              { notStatement: { statement: hostingProviders.machineClients } },
            ],
          },
        },
        visibilityConfig: visibility('HostingProvidersExceptMachineClients'),
      });
    }
    if (props.messageRoute) {
      rules.push(
        {
          // Every route but the chat route keeps the Common set's 8 KB body limit.
          name: 'BodyOver8KbOutsideMessages',
          priority: 11,
          action: { block: {} },
          statement: {
            andStatement: {
              statements: [
                { labelMatchStatement: { scope: 'LABEL', key: SIZE_BODY_LABEL } },
                { notStatement: { statement: messageRouteMatch } },
              ],
            },
          },
          visibilityConfig: visibility('BodyOver8KbOutsideMessages'),
        },
        {
          // The chat route accepts up to maxBodyBytes; a body too large to inspect is blocked too.
          name: 'MessageBodyTooLarge',
          priority: 12,
          action: { block: {} },
          statement: {
            andStatement: {
              statements: [
                messageRouteMatch,
                {
                  sizeConstraintStatement: {
                    fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                    comparisonOperator: 'GT',
                    size: props.messageRoute.maxBodyBytes,
                    textTransformations: [{ priority: 0, type: 'NONE' }],
                  },
                },
              ],
            },
          },
          visibilityConfig: visibility('MessageBodyTooLarge'),
        },
      );
    }
    rules.push(
      managed(
        20,
        'AWSManagedRulesKnownBadInputsRuleSet',
        contentRules('AWSManagedRulesKnownBadInputsRuleSet'),
      ),
      managed(30, 'AWSManagedRulesSQLiRuleSet', contentRules('AWSManagedRulesSQLiRuleSet')),
    );
    if (props.writtenText) {
      const labels = Object.values(CONTENT_ATTACK_RULES).flatMap((group) => Object.values(group));
      rules.push({
        // After the three groups, whose labels it reads: what they counted on the written-text
        // routes, blocked everywhere else as the groups would have.
        name: 'ContentAttacksOutsideWrittenText',
        priority: 31,
        action: { block: {} },
        statement: {
          andStatement: {
            statements: [
              {
                orStatement: {
                  statements: labels.map((key) => ({ labelMatchStatement: { scope: 'LABEL', key } })),
                },
              },
              { notStatement: { statement: uriPathMatches(WRITTEN_TEXT_ROUTE_REGEX) } },
            ],
          },
        },
        visibilityConfig: visibility('ContentAttacksOutsideWrittenText'),
      });
    }

    // Inspect bodies up to the chat limit (the default is 16 KB; each extra 16 KB is billed).
    const inspectionLimit = props.messageRoute
      ? bodyInspectionLimit(props.messageRoute.maxBodyBytes)
      : undefined;
    const resourceType = props.scope === 'CLOUDFRONT' ? 'CLOUDFRONT' : 'API_GATEWAY';
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      description: props.description,
      scope: props.scope,
      defaultAction: { allow: {} },
      visibilityConfig: aclVisibility,
      rules,
      associationConfig: inspectionLimit
        ? { requestBody: { [resourceType]: { defaultSizeInspectionLimit: inspectionLimit } } }
        : undefined,
    });
    // The labels of the rules this ACL only counts and whose matches are worth reading: the
    // content-attack rules on the written-text routes and the Common set's body size rule. Never
    // the hosting-provider list's (see addLogging).
    const countedLabels = [
      ...(props.writtenText
        ? Object.values(CONTENT_ATTACK_RULES).flatMap((group) => Object.values(group))
        : []),
      ...(props.messageRoute ? [SIZE_BODY_LABEL] : []),
    ];
    this.addLogging(props.name, props.logging, countedLabels, props.requiredHeader?.name);
  }

  /** WAF's log group (its name must start with aws-waf-logs-). */
  logGroup!: logs.LogGroup;

  private addLogging(
    name: string,
    logging: ParleyWebAclProps['logging'],
    countedLabels: readonly string[],
    secretHeader?: string,
  ): void {
    const stack = Stack.of(this);
    let key = logging.key;
    if (!key) {
      const own = new kms.Key(this, 'LogKey', {
        description: `${name}: WAF logs`,
        enableKeyRotation: true,
        removalPolicy: logging.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      allowCloudWatchLogs(own);
      key = own;
    }
    const logGroupName = `aws-waf-logs-${name}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: key,
      retention: logging.retentionDays as logs.RetentionDays,
      removalPolicy: logging.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const loggingConfiguration = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group's ARN without the ':*' that CloudFormation's Arn attribute ends in.
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // WAF can redact only UriPath, QueryString, SingleHeader and Method, 100 fields at most
      // (WAFV2 API Reference, LoggingConfiguration RedactedFields).
      redactedFields: [
        ...(logging.redactQueryString ? [{ queryString: {} }] : []),
        ...[
          ...new Set(
            [
              'authorization',
              ...(secretHeader ? [secretHeader] : []),
              ...(logging.redactedHeaders ?? []),
            ].map((header) => header.toLowerCase()),
          ),
        ].map((header) => ({ singleHeader: { Name: header } })),
      ],
      // Only what WAF blocked, and what it counted from the rules worth reading, chosen by their
      // labels; allowed traffic is in the API's access logs already. Not by a COUNT or
      // EXCLUDED_AS_COUNT action condition: the latter "matches on excluded rules and also on
      // rules that have a rule action override of Count" (WAFV2 API Reference, ActionCondition),
      // the hosting-provider list's among them, and where that list only counts (the API's ACL:
      // CloudFront's addresses are on it) it matches every request. A label condition keeps a
      // record that holds the label (LabelNameCondition, a fully qualified label name); one
      // filter of any-of conditions, so a request whose only match is the hosting-provider list
      // meets none and DefaultBehavior drops it, whatever order WAF reads filters in.
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [
              { ActionCondition: { Action: 'BLOCK' } },
              ...countedLabels.map((label) => ({ LabelNameCondition: { LabelName: label } })),
            ],
          },
        ],
      },
    });
    loggingConfiguration.node.addDependency(this.logGroup);
  }

  get arn(): string {
    return this.webAcl.attrArn;
  }

  /** Associates the ACL with a regional resource (REST API stage, user pool). */
  associate(id: string, resourceArn: string): wafv2.CfnWebACLAssociation {
    return new wafv2.CfnWebACLAssociation(this, id, { resourceArn, webAclArn: this.webAcl.attrArn });
  }
}
