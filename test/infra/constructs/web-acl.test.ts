import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bodyInspectionLimit,
  CONTENT_ATTACK_RULES,
  HOSTING_PROVIDER_LABEL,
  ParleyWebAcl,
  WRITTEN_TEXT_ROUTE_REGEX,
} from '../../../lib/constructs/web-acl';
import { EDGE_FAN_IN, ORIGIN_HEADER } from '../../../lib/stacks/api-stack';
import { REFUSED_USER_POOL_OPERATIONS } from '../../../lib/stacks/auth-stack';
import { ADMIN_OPERATIONS, PUBLIC_OPERATIONS } from '../../../bin/local/cognito-access';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- WAF statements nest arbitrarily; the tests assert their shape
type Json = Record<string, any>;
type Rule = {
  Name: string;
  Priority: number;
  Action?: Record<string, unknown>;
  Statement: Json;
};
const rulesOf = (stage: SynthesizedStage, t: 'auth' | 'api' | 'edgeWaf'): Rule[] => {
  const acl = Object.values(stage.templates[t].findResources('AWS::WAFv2::WebACL'))[0];
  return acl?.Properties.Rules as Rule[];
};
const rule = (rules: Rule[], name: string): Rule => {
  const found = rules.find((r) => r.Name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
};
type LoggingFilter = {
  DefaultBehavior: 'KEEP' | 'DROP';
  Filters: {
    Behavior: 'KEEP' | 'DROP';
    Requirement: 'MEETS_ALL' | 'MEETS_ANY';
    Conditions: { ActionCondition?: { Action: string }; LabelNameCondition?: { LabelName: string } }[];
  }[];
};
/**
 * Whether a WAF logging filter keeps a request's record: the first filter whose conditions the
 * record meets decides, else DefaultBehavior. `action` is WAF's terminating action; a record
 * whose labels come from counted managed rules (every label here but a blocking rule's) is taken
 * to meet COUNT and EXCLUDED_AS_COUNT action conditions: EXCLUDED_AS_COUNT "matches on excluded
 * rules and also on rules that have a rule action override of Count" (WAFV2 API Reference,
 * ActionCondition), and the reference does not settle whether COUNT does too.
 */
function keeps(filter: LoggingFilter, record: { action: 'ALLOW' | 'BLOCK'; labels: string[] }): boolean {
  const counted = record.labels.length > 0;
  const meets = (c: LoggingFilter['Filters'][number]['Conditions'][number]): boolean => {
    if (c.LabelNameCondition) return record.labels.includes(c.LabelNameCondition.LabelName);
    const action = c.ActionCondition?.Action;
    if (action === record.action) return true;
    return counted && (action === 'COUNT' || action === 'EXCLUDED_AS_COUNT');
  };
  const decided = filter.Filters.find((f) =>
    f.Requirement === 'MEETS_ALL' ? f.Conditions.every(meets) : f.Conditions.some(meets),
  );
  return (decided?.Behavior ?? filter.DefaultBehavior) === 'KEEP';
}
/** The label the Common rule set puts on a body over its 8 KB limit (counted on the API). */
const SIZE_BODY_LABEL = 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body';
/** WAF's documented pattern for a web ACL description. */
const WAF_DESCRIPTION = /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/;

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

describe('WAF', () => {
  const managed = [
    'AWSManagedRulesCommonRuleSet',
    'AWSManagedRulesKnownBadInputsRuleSet',
    'AWSManagedRulesSQLiRuleSet',
    'AWSManagedRulesAmazonIpReputationList',
    'AWSManagedRulesAnonymousIpList',
  ];
  const ruleNames = (t: 'auth' | 'api' | 'edgeWaf') => {
    const acl = Object.values(dev.templates[t].findResources('AWS::WAFv2::WebACL'))[0];
    return (acl?.Properties.Rules as { Name: string }[]).map((r) => r.Name);
  };

  it('logs what every web ACL blocks or counts, encrypted, with the Authorization header redacted', () => {
    const acls = resourcesOfType(dev, 'AWS::WAFv2::WebACL');
    const configs = resourcesOfType(dev, 'AWS::WAFv2::LoggingConfiguration');
    expect(configs).toHaveLength(acls.length);
    for (const config of configs) {
      expect(config.props.RedactedFields).toEqual(
        expect.arrayContaining([{ SingleHeader: { Name: 'authorization' } }]),
      );
      expect(config.props.LoggingFilter).toMatchObject({
        DefaultBehavior: 'DROP',
        Filters: [{ Behavior: 'KEEP', Requirement: 'MEETS_ANY' }],
      });
      expect(keeps(config.props.LoggingFilter as LoggingFilter, { action: 'BLOCK', labels: [] })).toBe(true);
      // Delivered to a log group WAF accepts: named aws-waf-logs-*, ARN without the ':*' suffix.
      const destination = JSON.stringify(config.props.LogDestinationConfigs);
      expect(destination, config.id).toContain('log-group:aws-waf-logs-parley-dev-');
      expect(destination, config.id).not.toContain(':*');
    }
    const groups = resourcesOfType(dev, 'AWS::Logs::LogGroup').filter((g) =>
      String(g.props.LogGroupName).startsWith('aws-waf-logs-'),
    );
    expect(groups).toHaveLength(acls.length);
    for (const group of groups) {
      expect(group.props.KmsKeyId, group.id).toBeDefined();
      expect(group.props.RetentionInDays, group.id).toBe(30);
    }
  });

  it('protects API Gateway and CloudFront with the managed groups and rate limits', () => {
    for (const t of ['api', 'edgeWaf'] as const) {
      expect(ruleNames(t)).toEqual(
        expect.arrayContaining([
          ...managed,
          'RatePerIp',
          'RatePerIpMessages',
          'BodyOver8KbOutsideMessages',
          'MessageBodyTooLarge',
        ]),
      );
    }
    dev.templates.edgeWaf.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    expect(dev.stacks.edgeWaf.region).toBe('us-east-1');
  });

  it("counts, not blocks, the Common set's 8 KB body rule and replaces it", () => {
    const acl = Object.values(dev.templates.api.findResources('AWS::WAFv2::WebACL'))[0];
    const common = (
      acl?.Properties.Rules as { Name: string; Statement: { ManagedRuleGroupStatement: unknown } }[]
    ).find((r) => r.Name === 'AWSManagedRulesCommonRuleSet');
    expect(common?.Statement.ManagedRuleGroupStatement).toMatchObject({
      RuleActionOverrides: expect.arrayContaining([
        { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      ]),
    });
  });

  it('associates the regional ACLs with the API stage and the user pool, and the edge ACL with CloudFront', () => {
    dev.templates.api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('/restapis/')])]),
      }),
    });
    dev.templates.auth.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UserPool'), 'Arn'] },
    });
    expect(ruleNames('auth')).toEqual(
      expect.arrayContaining(['RatePerIp', 'AWSManagedRulesAmazonIpReputationList']),
    );
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: Match.anyValue() }),
    });
  });

  it('rate-limits on the connecting address everywhere, never on X-Forwarded-For', () => {
    for (const acl of resourcesOfType(dev, 'AWS::WAFv2::WebACL')) {
      const rateRules = (acl.props.Rules as Rule[]).filter((r) => r.Statement.RateBasedStatement);
      expect(rateRules.length, acl.id).toBeGreaterThan(0);
      for (const r of rateRules) {
        expect(r.Statement.RateBasedStatement.AggregateKeyType, `${acl.stack}/${r.Name}`).toBe('IP');
        expect(r.Statement.RateBasedStatement.ForwardedIPConfig, `${acl.stack}/${r.Name}`).toBeUndefined();
      }
    }
    // Behind CloudFront one edge address carries many viewers: a looser ceiling than at the edge.
    const api = rule(rulesOf(dev, 'api'), 'RatePerIp').Statement.RateBasedStatement.Limit as number;
    const edge = rule(rulesOf(dev, 'edgeWaf'), 'RatePerIp').Statement.RateBasedStatement.Limit as number;
    expect(api).toBe(edge * EDGE_FAN_IN);
  });

  it('keeps every rate-based rule a top-level statement with a limit and window WAF accepts', () => {
    // WAFV2 API Reference, RateBasedStatement: it cannot be nested inside another statement, and
    // its Limit has "Valid Range: Minimum value of 10. Maximum value of 2000000000"
    // (docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html); the evaluation
    // window is 60, 120, 300 or 600 seconds, 300 by default (CloudFormation reference,
    // EvaluationWindowSec).
    /** Every statement below `statement`, not counting itself. */
    const nestedIn = (statement: Json): Json[] =>
      [
        ...((statement.AndStatement?.Statements ?? []) as Json[]),
        ...((statement.OrStatement?.Statements ?? []) as Json[]),
        ...(statement.NotStatement ? [statement.NotStatement.Statement as Json] : []),
        ...(statement.RateBasedStatement?.ScopeDownStatement
          ? [statement.RateBasedStatement.ScopeDownStatement as Json]
          : []),
      ].flatMap((s) => [s, ...nestedIn(s)]);
    for (const acl of resourcesOfType(dev, 'AWS::WAFv2::WebACL')) {
      for (const r of acl.props.Rules as Rule[]) {
        const where = `${acl.stack}/${r.Name}`;
        expect(
          nestedIn(r.Statement).filter((s) => s.RateBasedStatement),
          where,
        ).toEqual([]);
        const rate = r.Statement.RateBasedStatement as Json | undefined;
        if (!rate) continue;
        // Our settings are requests per 5 minutes (wafRateLimitPer5Min): WAF's default window.
        expect([undefined, 300], where).toContain(rate.EvaluationWindowSec);
        expect(Number.isInteger(rate.Limit), where).toBe(true);
        expect(rate.Limit as number, where).toBeGreaterThanOrEqual(10);
        expect(rate.Limit as number, where).toBeLessThanOrEqual(2_000_000_000);
        // CONSTANT counts only what the scope-down statement matches, so it needs one.
        if (rate.AggregateKeyType === 'CONSTANT') expect(rate.ScopeDownStatement, where).toBeDefined();
      }
    }
  });
});

describe('the per-address limit on the model routes', () => {
  /** Every regular expression the stage's ACLs hold. */
  const regexes = () =>
    resourcesOfType(dev, 'AWS::WAFv2::WebACL').flatMap((acl) =>
      [...JSON.stringify(acl.props.Rules).matchAll(/"RegexString":"((?:[^"\\]|\\.)*)"/g)].map(
        (m) => JSON.parse(`"${m[1] ?? ''}"`) as string,
      ),
    );

  it('counts new messages and regenerated replies, at any prefix, and no other route', async () => {
    const { routes } = await import('#api/index');
    for (const t of ['api', 'edgeWaf'] as const) {
      const scope = rule(rulesOf(dev, t), 'RatePerIpMessages').Statement.RateBasedStatement
        .ScopeDownStatement;
      const [path, method] = scope.AndStatement.Statements as Json[];
      const pattern = new RegExp(path?.RegexMatchStatement.RegexString as string);
      expect(path?.RegexMatchStatement.FieldToMatch).toEqual({ UriPath: {} });
      expect(method?.ByteMatchStatement).toMatchObject({
        FieldToMatch: { Method: {} },
        PositionalConstraint: 'EXACTLY',
        SearchString: 'POST',
      });
      const counted = (route: (typeof routes)[number], prefix: string) =>
        route.method === method?.ByteMatchStatement.SearchString &&
        pattern.test(prefix + route.path.replace(/\{\w+\}/g, '0b6f7a1c-2d3e-4f50-8a9b-0c1d2e3f4a5b'));
      for (const route of routes) {
        // Reading a conversation's messages (GET on the same path) is not counted.
        const model = route.id === 'messages.send' || route.id === 'messages.regenerate';
        expect(counted(route, ''), `${t}: ${route.id}`).toBe(model);
        expect(counted(route, '/dev'), `${t}: ${route.id} behind the stage`).toBe(model);
      }
    }
  });

  it('lets a regenerated reply carry an edited question as long as a message, and no larger', () => {
    const sample = '/dev/api/conversations/0b6f7a1c/messages/5d1e/regenerate';
    for (const t of ['api', 'edgeWaf'] as const) {
      const rules = rulesOf(dev, t);
      const [messages] = rule(rules, 'MessageBodyTooLarge').Statement.AndStatement.Statements as Json[];
      expect(new RegExp(messages?.RegexMatchStatement.RegexString as string).test(sample), t).toBe(true);
      const outside = rule(rules, 'BodyOver8KbOutsideMessages').Statement.AndStatement.Statements as Json[];
      const excluded = outside[1]?.NotStatement.Statement.RegexMatchStatement.RegexString as string;
      expect(new RegExp(excluded).test(sample), t).toBe(true);
      expect(new RegExp(excluded).test('/dev/api/conversations/0b6f7a1c/messages/5d1e/feedback'), t).toBe(
        false,
      );
    }
  });

  it('inspects the whole of the largest message the API accepts, and lets it through', async () => {
    const { CONTENT_MAX_BYTES } = await import('#chat/domain/message');
    // The largest valid body: 60,000 bytes of text, a model name of 100 characters, the JSON around.
    const largest = Buffer.byteLength(
      JSON.stringify({ content: '語'.repeat(CONTENT_MAX_BYTES / 3), model: 'm'.repeat(100) }),
    );
    for (const [t, resource] of [
      ['api', 'API_GATEWAY'],
      ['edgeWaf', 'CLOUDFRONT'],
    ] as const) {
      const acl = resourcesOfType(dev, 'AWS::WAFv2::WebACL').find((a) => a.stack === t);
      const inspected = (acl?.props.AssociationConfig as Json | undefined)?.RequestBody?.[resource]
        ?.DefaultSizeInspectionLimit as string;
      const [, size] = rule(rulesOf(dev, t), 'MessageBodyTooLarge').Statement.AndStatement
        .Statements as Json[];
      const allowed = size?.SizeConstraintStatement.Size as number;
      expect(largest, t).toBeLessThanOrEqual(allowed);
      expect(Number(/^KB_(\d+)$/.exec(inspected)?.[1]) * 1024, t).toBeGreaterThanOrEqual(allowed);
    }
  });

  it('picks the smallest body inspection that holds the limit, and refuses one over WAF’s 64 KB', () => {
    expect(bodyInspectionLimit(16 * 1024)).toBeUndefined();
    expect(bodyInspectionLimit(16 * 1024 + 1)).toBe('KB_32');
    expect(bodyInspectionLimit(32 * 1024)).toBe('KB_32');
    expect(bodyInspectionLimit(40_000)).toBe('KB_48');
    expect(bodyInspectionLimit(64 * 1024)).toBe('KB_64');
    expect(() => bodyInspectionLimit(64 * 1024 + 1)).toThrow(/64 KB/);
  });

  it("uses only what WAF's regular expressions support: no capturing group, no backreference", () => {
    // https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html
    const found = regexes();
    expect(found.length).toBeGreaterThan(0);
    for (const regex of found) {
      expect(regex, regex).not.toMatch(/(?<!\\)\((?!\?)/);
      expect(regex, regex).not.toMatch(/\\[1-9kKgCR]/);
      expect(regex.length, regex).toBeLessThanOrEqual(512);
    }
  });
});

describe('what people write', () => {
  const overridesOf = (rules: Rule[], group: string): string[] =>
    ((rule(rules, group).Statement.ManagedRuleGroupStatement.RuleActionOverrides ?? []) as Json[]).map(
      (o) => o.Name as string,
    );
  /**
   * A managed rule's label as the AWS Managed Rules reference names it: the group's namespace,
   * then the rule's name with its component in mixed case (SQLi_BODY → SQLi_Body).
   */
  const NAMESPACES: Readonly<Record<string, string>> = {
    AWSManagedRulesCommonRuleSet: 'core-rule-set',
    AWSManagedRulesKnownBadInputsRuleSet: 'known-bad-inputs',
    AWSManagedRulesSQLiRuleSet: 'sql-database',
    AWSManagedRulesAnonymousIpList: 'anonymous-ip-list',
  };
  const COMPONENTS: Readonly<Record<string, string>> = {
    BODY: 'Body',
    QUERYARGUMENTS: 'QueryArguments',
    QUERYSTRING: 'QueryString',
  };
  const documentedLabel = (group: string, name: string) => {
    const component = /_([A-Z]+)$/.exec(name)?.[1] ?? '';
    const mixed = COMPONENTS[component] ? name.replace(/[A-Z]+$/, COMPONENTS[component]) : name;
    return `awswaf:managed:aws:${NAMESPACES[group] ?? '?'}:${mixed}`;
  };
  const path = (route: { path: string }, prefix: string) =>
    prefix + route.path.replace(/\{\w+\}/g, '0b6f7a1c-2d3e-4f50-8a9b-0c1d2e3f4a5b');

  it('counts, in front of the API, the managed rules that read bodies and query arguments, and no others', () => {
    for (const t of ['api', 'edgeWaf'] as const) {
      const rules = rulesOf(dev, t);
      for (const [group, counted] of Object.entries(CONTENT_ATTACK_RULES)) {
        const expected = [
          ...(group === 'AWSManagedRulesCommonRuleSet' ? ['SizeRestrictions_BODY'] : []),
          ...Object.keys(counted),
        ];
        expect(overridesOf(rules, group).sort(), `${t}: ${group}`).toEqual(expected.sort());
        // Only rules that inspect the body or the query: never a header, a cookie or the path.
        for (const name of Object.keys(counted))
          expect(name, group).toMatch(/_(BODY|QUERYARGUMENTS|QUERYSTRING)$/);
      }
    }
    // The user pool's ACL keeps every one of them blocking.
    for (const group of Object.keys(CONTENT_ATTACK_RULES))
      expect(overridesOf(rulesOf(dev, 'auth'), group), group).toEqual([]);
    expect(rulesOf(dev, 'auth').map((r) => r.Name)).not.toContain('ContentAttacksOutsideWrittenText');
  });

  it('names each counted rule by the label the AWS reference gives it', () => {
    for (const [group, counted] of Object.entries(CONTENT_ATTACK_RULES)) {
      for (const [name, label] of Object.entries(counted))
        expect(label, name).toBe(documentedLabel(group, name));
    }
    // Verbatim from the rule tables of the AWS WAF Developer Guide, "Baseline rule groups"
    // (docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html): Core
    // rule set, AWSManagedRulesCommonRuleSet, and Known bad inputs,
    // AWSManagedRulesKnownBadInputsRuleSet, whose ReactJSRCE_BODY "Inspects the request body for
    // patterns indicating presence of CVE-2025-55182". A label no rule adds would never match, and
    // the rule that blocks on it would let the request through.
    expect(CONTENT_ATTACK_RULES.AWSManagedRulesCommonRuleSet).toEqual({
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
    });
    expect(CONTENT_ATTACK_RULES.AWSManagedRulesKnownBadInputsRuleSet).toEqual({
      JavaDeserializationRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body',
      JavaDeserializationRCE_QUERYSTRING:
        'awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_QueryString',
      Log4JRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body',
      Log4JRCE_QUERYSTRING: 'awswaf:managed:aws:known-bad-inputs:Log4JRCE_QueryString',
      ReactJSRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:ReactJSRCE_Body',
    });
  });

  it('blocks, after its group, everything a counted rule labels, but where the ACL means to let it through', () => {
    // "If you put a managed rule in Count mode then you must write a corresponding rule that
    // blocks requests labeled by the managed rule" (AWS WAF, customizing managed rules).
    for (const t of ['auth', 'api', 'edgeWaf'] as const) {
      const rules = rulesOf(dev, t);
      for (const group of rules.filter((r) => r.Statement.ManagedRuleGroupStatement)) {
        for (const name of overridesOf(rules, group.Name)) {
          const label = documentedLabel(group.Name, name);
          const blocking = rules.filter(
            (r) =>
              r.Action?.Block &&
              r.Priority > group.Priority &&
              JSON.stringify(r.Statement).includes(`"Key":"${label}"`),
          );
          // The API's ACL only counts the hosting-provider list: every request there is CloudFront's.
          if (t === 'api' && name === 'HostingProviderIPList') continue;
          expect(
            blocking.map((r) => r.Name),
            `${t}: ${group.Name}/${name}`,
          ).toHaveLength(1);
        }
      }
    }
  });

  it('lets written text through on the routes that take it, at any stage prefix, and on no other route', async () => {
    const { routes } = await import('#api/index');
    const writes = new Set([
      'me.instructions.set',
      'conversations.list',
      'conversations.create',
      'conversations.rename',
      'messages.search',
      'messages.feedback.give',
      'messages.send',
      'messages.regenerate',
    ]);
    for (const t of ['api', 'edgeWaf'] as const) {
      const statements = rule(rulesOf(dev, t), 'ContentAttacksOutsideWrittenText').Statement.AndStatement
        .Statements as Json[];
      const regex = statements[1]?.NotStatement.Statement.RegexMatchStatement;
      expect(regex.FieldToMatch).toEqual({ UriPath: {} });
      expect(regex.RegexString).toBe(WRITTEN_TEXT_ROUTE_REGEX);
      const pattern = new RegExp(regex.RegexString as string);
      const written = new Set(routes.filter((r) => writes.has(r.id)).map((r) => r.path));
      for (const route of routes) {
        for (const prefix of ['', '/dev']) {
          // Another method on a path that takes text (reading a conversation) shares its exemption.
          expect(pattern.test(path(route, prefix)), `${t}: ${route.id} at '${prefix}'`).toBe(
            written.has(route.path),
          );
        }
      }
      expect(written.size).toBe(7);
      // Not a route's path with more before it, nor one whose end merely looks like one.
      for (const other of [
        '/a/b/api/search',
        '/api/admin/users/api/search',
        '/api/search/x',
        '/api/conversations/a/export',
      ])
        expect(pattern.test(other), other).toBe(false);
    }
  });
});

describe('the API ACL: only requests that came through CloudFront', () => {
  it('blocks first any request without the origin secret, accepting the current or the previous value', () => {
    const rules = rulesOf(dev, 'api');
    const required = rule(rules, 'RequireOriginHeader');
    expect(required.Priority).toBe(Math.min(...rules.map((r) => r.Priority)));
    expect(required.Action).toEqual({ Block: {} });
    const accepted = required.Statement.NotStatement.Statement.OrStatement.Statements as Json[];
    expect(accepted).toHaveLength(2);
    const secretIds = accepted.map((st) => {
      expect(st.ByteMatchStatement).toMatchObject({
        FieldToMatch: { SingleHeader: { Name: ORIGIN_HEADER.toLowerCase() } },
        PositionalConstraint: 'EXACTLY',
      });
      // A CloudFormation dynamic reference: the value is never in the template.
      const search = JSON.stringify(st.ByteMatchStatement.SearchString);
      expect(search).toContain('{{resolve:secretsmanager:');
      return search.match(/"Ref":"(\w+)"/)?.[1];
    });
    const secrets = Object.keys(dev.templates.api.findResources('AWS::SecretsManager::Secret'));
    expect(secretIds.sort()).toEqual(secrets.sort());
  });

  it("never keeps an API request in its WAF log for the hosting-provider list's label alone", () => {
    // Prepare: every API request comes from CloudFront, whose addresses the list holds (counted).
    const [config] = resourcesOfType(dev, 'AWS::WAFv2::LoggingConfiguration').filter(
      (c) => c.stack === 'api',
    );
    const filter = config?.props.LoggingFilter as LoggingFilter;
    const contentLabels = Object.values(CONTENT_ATTACK_RULES).flatMap((group) => Object.values(group));

    // Act / Assess
    expect(keeps(filter, { action: 'ALLOW', labels: [HOSTING_PROVIDER_LABEL] })).toBe(false);
    expect(keeps(filter, { action: 'ALLOW', labels: [] })).toBe(false);
    expect(keeps(filter, { action: 'BLOCK', labels: [HOSTING_PROVIDER_LABEL] })).toBe(true);
    for (const label of [...contentLabels, SIZE_BODY_LABEL]) {
      expect(keeps(filter, { action: 'ALLOW', labels: [HOSTING_PROVIDER_LABEL, label] }), label).toBe(true);
    }
  });

  it('keeps the query string and the viewer address out of the API ACL log', () => {
    // WAF redacts UriPath, QueryString, SingleHeader and Method only, 100 fields at most.
    const [config] = resourcesOfType(dev, 'AWS::WAFv2::LoggingConfiguration').filter(
      (c) => c.stack === 'api',
    );
    const redacted = config?.props.RedactedFields as Json[];
    expect(redacted).toContainEqual({ QueryString: {} });
    expect(redacted).toContainEqual({ SingleHeader: { Name: 'x-forwarded-for' } });
    expect(redacted.length).toBeLessThanOrEqual(100);
    for (const field of redacted) {
      expect(
        Object.keys(field).every((k) => ['UriPath', 'QueryString', 'SingleHeader', 'Method'].includes(k)),
      ).toBe(true);
    }
  });

  it('keeps the origin secret out of its logs', () => {
    const api = resourcesOfType(dev, 'AWS::WAFv2::LoggingConfiguration').filter((c) => c.stack === 'api');
    expect(api[0]?.props.RedactedFields).toContainEqual({
      SingleHeader: { Name: ORIGIN_HEADER.toLowerCase() },
    });
  });

  it('generates the origin secrets: 48 characters a header can carry', () => {
    for (const secret of resourcesOfType(dev, 'AWS::SecretsManager::Secret').filter(
      (s) => s.stack === 'api',
    )) {
      expect(secret.props.GenerateSecretString).toMatchObject({
        PasswordLength: 48,
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
      expect(secret.props.SecretString).toBeUndefined();
    }
  });

  it('names the rotation in a description WAF accepts, so a rotation updates the ACL', () => {
    const acl = resourcesOfType(dev, 'AWS::WAFv2::WebACL').find((a) => a.stack === 'api');
    expect(acl?.props.Description).toBe('Parley dev API, origin secret rotation 0');
    expect(acl?.props.Description).toMatch(WAF_DESCRIPTION);
    expect(String(acl?.props.Description).length).toBeLessThanOrEqual(256);
  });
});

/**
 * Web ACL capacity units as the WAF Developer Guide gives them: a string match 2 (10 for
 * "contains"), a regex match 3, a size constraint 1, a label match 1, a rate-based rule 2 plus
 * its scope-down statement, 10 more for each text transformation, and the managed groups' listed
 * capacities. AND, OR and NOT cost what they hold.
 */
const MANAGED_WCU: Readonly<Record<string, number>> = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesSQLiRuleSet: 200,
  AWSManagedRulesAmazonIpReputationList: 25,
  AWSManagedRulesAnonymousIpList: 50,
};
function wcu(statement: Json): number {
  const transformations = (inner: Json) =>
    10 * ((inner.TextTransformations ?? []) as { Type: string }[]).filter((t) => t.Type !== 'NONE').length;
  const all = (statements: Json[]) => statements.reduce((sum, st) => sum + wcu(st), 0);
  const [kind, inner] = Object.entries(statement)[0] as [string, Json];
  switch (kind) {
    case 'AndStatement':
    case 'OrStatement':
      return all(inner.Statements as Json[]);
    case 'NotStatement':
      return wcu(inner.Statement as Json);
    case 'ByteMatchStatement':
      return (
        (['CONTAINS', 'CONTAINS_WORD'].includes(inner.PositionalConstraint) ? 10 : 2) + transformations(inner)
      );
    case 'RegexMatchStatement':
      return 3 + transformations(inner);
    case 'SizeConstraintStatement':
      return 1 + transformations(inner);
    case 'LabelMatchStatement':
      return 1;
    case 'RateBasedStatement':
      return 2 + (inner.ScopeDownStatement ? wcu(inner.ScopeDownStatement as Json) : 0);
    case 'ManagedRuleGroupStatement': {
      const capacity = MANAGED_WCU[inner.Name as string];
      if (capacity === undefined) throw new Error(`no documented capacity for ${String(inner.Name)}`);
      return capacity;
    }
    default:
      throw new Error(`no WCU figure for ${kind}`);
  }
}

describe('capacity', () => {
  it('keeps every web ACL within the 1,500 WCUs its base price covers (5,000 at most)', () => {
    const used = Object.fromEntries(
      (['auth', 'api', 'edgeWaf'] as const).map((t) => [
        t,
        rulesOf(dev, t).reduce((sum, r) => sum + wcu(r.Statement), 0),
      ]),
    );
    for (const [t, units] of Object.entries(used)) {
      expect(units, t).toBeGreaterThan(1_000);
      expect(units, t).toBeLessThanOrEqual(1_500);
    }
  });
});

describe('the user pool ACL', () => {
  const refusedRule = () => rule(rulesOf(dev, 'auth'), 'RefusedCognitoOperations');

  it("blocks a person's DeleteUser, by the operation name Cognito forwards or the API target", () => {
    const refused = refusedRule();
    expect(refused.Action).toEqual({ Block: {} });
    expect(refused.Statement.OrStatement.Statements.slice(0, 2)).toEqual([
      {
        ByteMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: 'x-amzn-cognito-operation-name' } },
          PositionalConstraint: 'EXACTLY',
          SearchString: 'DeleteUser',
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
      {
        ByteMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: 'x-amz-target' } },
          PositionalConstraint: 'EXACTLY',
          SearchString: 'awscognitoidentityproviderservice.deleteuser',
          TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
        },
      },
    ]);
    // And the attribute verification that e-mails codes from the pool's quota.
    const names = (refused.Statement.OrStatement.Statements as Json[])
      .filter(
        (st) => st.ByteMatchStatement.FieldToMatch.SingleHeader.Name === 'x-amzn-cognito-operation-name',
      )
      .map((st) => st.ByteMatchStatement.SearchString as string);
    expect(names).toEqual(['DeleteUser', 'GetUserAttributeVerificationCode', 'VerifyUserAttribute']);
    // Only the user pool's ACL: the API's and the edge's never see Cognito's operations.
    expect(rulesOf(dev, 'api').map((r) => r.Name)).not.toContain('RefusedCognitoOperations');
    expect(rulesOf(dev, 'edgeWaf').map((r) => r.Name)).not.toContain('RefusedCognitoOperations');
  });

  it('refuses nothing the app or the admin API calls, and what it refuses the local Cognito refuses too', () => {
    expect(REFUSED_USER_POOL_OPERATIONS).toContain('DeleteUser');
    for (const operation of REFUSED_USER_POOL_OPERATIONS) {
      expect(PUBLIC_OPERATIONS.has(operation), operation).toBe(false);
      expect(ADMIN_OPERATIONS.has(operation), operation).toBe(false);
    }
  });
});

describe('labels and rule order', () => {
  /** Every statement of a rule, nested ones included (and, or, not, rate-based scope-downs). */
  const statementsOf = (statement: Json): Json[] => {
    const nested: Json[] = [
      ...((statement.AndStatement?.Statements ?? []) as Json[]),
      ...((statement.OrStatement?.Statements ?? []) as Json[]),
      ...(statement.NotStatement ? [statement.NotStatement.Statement as Json] : []),
      ...(statement.RateBasedStatement?.ScopeDownStatement
        ? [statement.RateBasedStatement.ScopeDownStatement as Json]
        : []),
    ];
    return [statement, ...nested.flatMap(statementsOf)];
  };
  /** The AWS Managed Rules label namespace of each group the ACLs use (the groups' reference pages). */
  const NAMESPACE_OF: Readonly<Record<string, string>> = {
    AWSManagedRulesCommonRuleSet: 'awswaf:managed:aws:core-rule-set:',
    AWSManagedRulesKnownBadInputsRuleSet: 'awswaf:managed:aws:known-bad-inputs:',
    AWSManagedRulesSQLiRuleSet: 'awswaf:managed:aws:sql-database:',
    AWSManagedRulesAnonymousIpList: 'awswaf:managed:aws:anonymous-ip-list:',
    AWSManagedRulesAmazonIpReputationList: 'awswaf:managed:aws:amazon-ip-list:',
  };

  it('gives every rule its own priority and name', () => {
    for (const t of ['auth', 'api', 'edgeWaf'] as const) {
      const rules = rulesOf(dev, t);
      expect(new Set(rules.map((r) => r.Priority)).size, t).toBe(rules.length);
      expect(new Set(rules.map((r) => r.Name)).size, t).toBe(rules.length);
    }
  });

  it('matches only labels a managed group of the same ACL adds, in a rule that runs after that group', () => {
    // "A rule that matches a label must run after the rule that adds it": WAF evaluates rules by
    // priority, lowest first, and a label exists only once its rule has run (AWS WAF, "Labels on
    // web requests"; label match keys are fully qualified, namespaces separated by colons).
    let matches = 0;
    for (const t of ['auth', 'api', 'edgeWaf'] as const) {
      const rules = rulesOf(dev, t);
      for (const r of rules) {
        for (const st of statementsOf(r.Statement).filter((x) => x.LabelMatchStatement)) {
          matches += 1;
          const { Scope, Key } = st.LabelMatchStatement as { Scope: string; Key: string };
          expect(Scope, `${t}/${r.Name}`).toBe('LABEL');
          expect(Key, `${t}/${r.Name}`).toMatch(/^[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+)+$/);
          const adders = rules.filter((g) => {
            const name = g.Statement.ManagedRuleGroupStatement?.Name as string | undefined;
            return name !== undefined && Key.startsWith(NAMESPACE_OF[name] ?? '\u0000');
          });
          expect(
            adders.map((g) => g.Name),
            `${t}/${r.Name}: ${Key}`,
          ).toHaveLength(1);
          expect(adders[0]?.Priority, `${t}/${r.Name} runs after ${adders[0]?.Name}`).toBeLessThan(
            r.Priority,
          );
        }
      }
    }
    // The hosting-provider rule (auth, edge), the 8 KB body rule and the content rule (api, edge).
    expect(matches).toBeGreaterThanOrEqual(5);
  });
});

describe('hosting-provider addresses', () => {
  const labelOf = (st: Json) => st.LabelMatchStatement?.Key as string | undefined;
  const overrides = (rules: Rule[]) =>
    rule(rules, 'AWSManagedRulesAnonymousIpList').Statement.ManagedRuleGroupStatement.RuleActionOverrides;

  it('lets machine clients get tokens from cloud hosts, and blocks sign-in from them', () => {
    const rules = rulesOf(dev, 'auth');
    expect(overrides(rules)).toEqual([{ Name: 'HostingProviderIPList', ActionToUse: { Count: {} } }]);
    const block = rule(rules, 'HostingProvidersExceptMachineClients');
    expect(block.Action).toEqual({ Block: {} });
    expect(block.Priority).toBeGreaterThan(rule(rules, 'AWSManagedRulesAnonymousIpList').Priority);
    const [label, except] = block.Statement.AndStatement.Statements;
    expect(labelOf(label)).toBe(HOSTING_PROVIDER_LABEL);
    expect(except.NotStatement.Statement.ByteMatchStatement).toMatchObject({
      FieldToMatch: { UriPath: {} },
      PositionalConstraint: 'STARTS_WITH',
      SearchString: '/oauth2/token',
    });
  });

  it('lets API calls with a bearer token through the edge from cloud hosts, and blocks the rest', () => {
    const rules = rulesOf(dev, 'edgeWaf');
    expect(overrides(rules)).toEqual([{ Name: 'HostingProviderIPList', ActionToUse: { Count: {} } }]);
    const [label, except] = rule(rules, 'HostingProvidersExceptMachineClients').Statement.AndStatement
      .Statements;
    expect(labelOf(label)).toBe(HOSTING_PROVIDER_LABEL);
    const [path, bearer] = except.NotStatement.Statement.AndStatement.Statements;
    expect(path.ByteMatchStatement).toMatchObject({
      SearchString: '/api/',
      PositionalConstraint: 'STARTS_WITH',
    });
    expect(bearer.ByteMatchStatement).toMatchObject({
      FieldToMatch: { SingleHeader: { Name: 'authorization' } },
      SearchString: 'bearer ',
      TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
    });
  });

  it('only counts them at the API, where every request comes from CloudFront', () => {
    const rules = rulesOf(dev, 'api');
    expect(overrides(rules)).toEqual([{ Name: 'HostingProviderIPList', ActionToUse: { Count: {} } }]);
    expect(rules.map((r) => r.Name)).not.toContain('HostingProvidersExceptMachineClients');
  });
});

describe('ParleyWebAcl on its own', () => {
  const aclWith = (requiredHeader: { name: string; values: string[] }) => {
    const stack = new Stack(new App(), 'Alone', { env: { region: 'eu-west-1' } });
    new ParleyWebAcl(stack, 'Waf', {
      scope: 'REGIONAL',
      name: 'alone',
      rateLimitPer5Min: 100,
      logging: { retentionDays: 30 },
      requiredHeader,
    });
    return Template.fromStack(stack);
  };

  it('requires the one accepted value without an OR around it', () => {
    const template = aclWith({ name: 'X-Secret', values: ['only'] });
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0];
    const required = (acl?.Properties.Rules as Rule[]).find((r) => r.Name === 'RequireOriginHeader');
    expect(required?.Statement.NotStatement.Statement.ByteMatchStatement).toMatchObject({
      FieldToMatch: { SingleHeader: { Name: 'x-secret' } },
      SearchString: 'only',
      PositionalConstraint: 'EXACTLY',
    });
  });

  it('refuses a required header with no accepted value (it would block everything)', () => {
    expect(() => aclWith({ name: 'X-Secret', values: [] })).toThrow(/at least one accepted value/);
  });

  it('refuses no Cognito operation unless told, and only operation names', () => {
    const template = aclWith({ name: 'X-Secret', values: ['only'] });
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0];
    expect((acl?.Properties.Rules as Rule[]).map((r) => r.Name)).not.toContain('RefusedCognitoOperations');
    const refusing = (operations: string[]) => () =>
      new ParleyWebAcl(new Stack(new App(), 'Refusing'), 'Waf', {
        scope: 'REGIONAL',
        name: 'refusing',
        rateLimitPer5Min: 100,
        logging: { retentionDays: 30 },
        refusedCognitoOperations: operations,
      });
    expect(refusing(['DeleteUser', 'VerifyUserAttribute'])).not.toThrow();
    expect(refusing(['Delete User'])).toThrow(/operation names/);
    expect(refusing(['AWSCognitoIdentityProviderService.DeleteUser'])).toThrow(/operation names/);
  });
});
