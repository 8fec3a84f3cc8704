import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerGroups, type RouteDeclaration, routes } from '#api/index';
import { configSchema } from '#shared/config';
import { conformanceProblems } from '#test/support/openapi-conformance';
import { parseStageConfig, type StageConfig, stageConfig } from '../../../lib/config/stages';
import { addParleyStage, cdkJsonContext } from '../../../lib/parley-app';
import {
  ACCESS_LOG_FIELDS,
  BUFFERED_RESPONSES_METRIC,
  LAMBDA_UNRESERVED_MINIMUM,
  RETENTION_INCOMPLETE,
  SLOW_BUFFERED_RESPONSES_METRIC,
  SLOW_LATENCY_PATTERN,
} from '../../../lib/stacks/api-stack';
import {
  ourFunctions,
  resolvedEnvironment,
  resourcesOfType,
  serviceActionsByFunction,
  type SynthesizedStage,
  synthesizeStage,
} from '../support';

let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
});

type Method = { Properties: Record<string, unknown> & { Integration: Record<string, unknown> } };
const methods = () => Object.values(dev.templates.api.findResources('AWS::ApiGateway::Method')) as Method[];
const methodFor = (route: RouteDeclaration) => {
  const m = methods().find((x) => x.Properties.OperationName === route.id);
  if (!m) throw new Error(`no method for ${route.id}`);
  return m;
};

describe('REST API built from the route declarations', () => {
  it('has one method per route, named by the route id', () => {
    expect(methods()).toHaveLength(routes.length);
  });

  it('leaves public routes open and puts the Cognito authorizer on the others', () => {
    for (const route of routes) {
      const p = methodFor(route).Properties;
      if (route.access === 'public') {
        expect(p.AuthorizationType, route.id).toBe('NONE');
      } else {
        expect(p.AuthorizationType, route.id).toBe('COGNITO_USER_POOLS');
        expect(p.AuthorizationScopes, route.id).toEqual([
          'aws.cognito.signin.user.admin',
          ...(route.scopes ?? []),
        ]);
      }
    }
  });

  it('validates the request of every method, path parameters included', () => {
    for (const m of methods()) expect(m.Properties.RequestValidatorId).toBeDefined();
    expect(
      methodFor(routes.find((r) => r.id === 'conversations.get') as RouteDeclaration).Properties
        .RequestParameters,
    ).toEqual({
      'method.request.path.id': true,
    });
  });

  it('streams the streaming routes (with the 5-minute streaming timeout) and buffers the others', () => {
    const streamingRoutes = routes.filter((r) => r.streaming);
    expect(streamingRoutes.map((r) => r.id)).toEqual([
      'messages.send',
      'messages.regenerate',
      'conversations.export',
    ]);
    for (const route of streamingRoutes) {
      const streaming = methodFor(route).Properties.Integration;
      expect(streaming.ResponseTransferMode).toBe('STREAM');
      expect(streaming.TimeoutInMillis).toBe(300_000);
      expect(JSON.stringify(streaming.Uri)).toContain('response-streaming-invocations');
    }
    for (const route of routes.filter((r) => !r.streaming)) {
      const integration = methodFor(route).Properties.Integration;
      expect(integration.ResponseTransferMode ?? 'BUFFERED', route.id).toBe('BUFFERED');
      expect(JSON.stringify(integration.Uri), route.id).toContain('/invocations');
    }
  });

  it('invokes the live aliases, not $LATEST', () => {
    for (const m of methods()) expect(JSON.stringify(m.Properties.Integration.Uri)).toMatch(/Live/);
  });

  it('compresses buffered responses and throttles the stage, tighter on the routes that call the model', () => {
    dev.templates.api.hasResourceProperties('AWS::ApiGateway::RestApi', { MinimumCompressionSize: 1024 });
    dev.templates.api.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
        Match.objectLike({
          HttpMethod: 'POST',
          ResourcePath: '/~1api~1conversations~1{id}~1messages',
          ThrottlingRateLimit: 12,
        }),
        Match.objectLike({
          HttpMethod: 'POST',
          ResourcePath: '/~1api~1conversations~1{id}~1messages~1{messageId}~1regenerate',
          ThrottlingRateLimit: 12,
        }),
      ]),
    });
    // Only the routes that call the model: an export (also the chat function's) has the stage's.
    const stage = Object.values(dev.templates.api.findResources('AWS::ApiGateway::Stage'))[0];
    const tighter = (stage?.Properties.MethodSettings as { HttpMethod: string; ResourcePath: string }[])
      .filter((m) => m.ResourcePath !== '/*')
      .map((m) => `${m.HttpMethod} ${m.ResourcePath}`);
    expect(tighter).toEqual([
      'POST /~1api~1conversations~1{id}~1messages',
      'POST /~1api~1conversations~1{id}~1messages~1{messageId}~1regenerate',
    ]);
  });

  /**
   * The stage's access log line for a request, as API Gateway fills the format in: each variable
   * by its value, "-" when it has none; the `…String` variables come quoted ("The quoted value of
   * $context.error.message", aws-cdk-lib's AccessLogField after API Gateway's reference).
   */
  const accessLogLine = (values: Partial<Record<keyof typeof ACCESS_LOG_FIELDS, string>>) => {
    const stage = Object.values(dev.templates.api.findResources('AWS::ApiGateway::Stage'))[0];
    let line = stage?.Properties.AccessLogSetting.Format as string;
    for (const [field, variable] of Object.entries(ACCESS_LOG_FIELDS)) {
      const value = values[field as keyof typeof ACCESS_LOG_FIELDS] ?? '-';
      line = line.replace(variable, variable.endsWith('String') ? `"${value}"` : value);
    }
    return JSON.parse(line) as Record<string, unknown>;
  };

  it('writes JSON access logs, with the stage and how the answer was sent', () => {
    const values = {
      requestId: 'r-1',
      stage: 'dev',
      status: '200',
      latencyMs: '1234',
      transferMode: 'STREAMED',
      wafStatus: 'ALLOW',
    };

    // Each field holds its own variable's value, and the line is JSON, an error's included.
    expect(accessLogLine(values)).toMatchObject(values);
    expect(accessLogLine({ status: '401', error: 'Unauthorized' })).toMatchObject({
      status: '401',
      error: 'Unauthorized',
      requestId: '-',
    });
  });

  /**
   * The access log's variables whose values a client cannot write as free text, each with why.
   * API Gateway documents no escaping of a variable's value in an access log format ("Variables
   * for access logging for API Gateway", "Access logging for REST APIs"), so a value is written
   * into the JSON string as it is: a `"` or `\` a client sends (in a User-Agent, in a path,
   * percent-decoded or not) would end the string, make the line invalid JSON (out of the metric
   * filters) or add fields to it (a second `sub`). Only variables known not to hold such text go in.
   */
  const NOT_CLIENT_TEXT: Record<string, string> = {
    '$context.requestId': 'a UUID: one a client sends that is not is replaced in the access log',
    '$context.extendedRequestId': 'made by API Gateway; a caller cannot set it',
    '$context.stage': 'the stage we deploy',
    '$context.identity.sourceIp': 'an IP address',
    '$context.authorizer.claims.sub': "from a token the authorizer verified: the pool's user id",
    '$context.authorizer.claims.client_id': "from a token the authorizer verified: our app client's id",
    '$context.httpMethod': 'one of the methods the API declares',
    '$context.resourcePath': "the matched resource's template, as we define it (/api/conversations/{id})",
    '$context.status': 'a status code',
    '$context.responseLatency': 'milliseconds',
    '$context.integration.latency': 'milliseconds',
    '$context.integration.status': 'a status code',
    '$context.integration.responseTransferMode': 'BUFFERED or STREAMED',
    '$context.responseLength': 'bytes',
    '$context.waf.status': "WAF's decision",
    '$context.error.message': "API Gateway's own message (Unauthorized, Missing Authentication Token)",
    '$context.requestTimeEpoch': 'milliseconds since the epoch',
  };

  it('writes no variable a client fills with free text into the access log', () => {
    const stage = Object.values(dev.templates.api.findResources('AWS::ApiGateway::Stage'))[0];
    const format = stage?.Properties.AccessLogSetting.Format as string;
    const variables = [...format.matchAll(/\$context\.[A-Za-z0-9_.]+/g)].map((m) => m[0]);

    expect(variables.length).toBeGreaterThan(10);
    expect(variables.filter((variable) => !(variable in NOT_CLIENT_TEXT))).toEqual([]);
    // Named, since they are the usual fields of an access log: the User-Agent header and the path
    // as sent (the resource's template says the route; the request id finds the request's lines).
    expect(format).not.toContain('$context.identity.userAgent');
    expect(format).not.toMatch(/\$context\.path\b/);
  });

  it("keeps the access log's metric filters within CloudWatch Logs' documented limits", () => {
    // Filter pattern syntax and quotas (CloudWatch Logs User Guide): a pattern of at most 1,024
    // characters; at most 5 patterns with a regular expression per log group, 2 per pattern, built
    // of letters, digits, `:_#=@/;,-` and the operators `^$?[]{}|\*+.` only (no parentheses); at
    // most 3 dimensions, none of high cardinality (each value is a custom metric of its own).
    const filters = Object.values(dev.templates.api.findResources('AWS::Logs::MetricFilter')).map(
      (f) =>
        f.Properties as {
          FilterPattern: string;
          MetricTransformations: { Dimensions?: { Value: string }[] }[];
        },
    );
    const regexes = (pattern: string) => [...pattern.matchAll(/%([^%]*)%/g)].map((m) => m[1] ?? '');
    expect(filters.filter((f) => regexes(f.FilterPattern).length > 0).length).toBeLessThanOrEqual(5);
    for (const { FilterPattern, MetricTransformations } of filters) {
      expect(FilterPattern.length).toBeLessThanOrEqual(1024);
      expect(regexes(FilterPattern).length).toBeLessThanOrEqual(2);
      for (const regex of regexes(FilterPattern))
        expect(regex).toMatch(/^[A-Za-z0-9:_#=@/;,\-^$?[\]{}|\\*+.]+$/);
      const dimensions = MetricTransformations[0]?.Dimensions ?? [];
      expect(dimensions.length).toBeLessThanOrEqual(3);
      // The stage only: one value per log group.
      expect(dimensions.map((d) => d.Value)).toEqual(['$.stage']);
    }
  });

  it('alarms on the share of answers not streamed that took 10 s or more, read from the access logs', () => {
    // A chat reply or a download counts in API Gateway's Latency to its last byte: its p99 would
    // be over any line whenever people chat, and page the users-affected alarm.
    const filters = Object.values(dev.templates.api.findResources('AWS::Logs::MetricFilter')).map(
      (f) => f.Properties as { FilterPattern: string; MetricTransformations: Record<string, unknown>[] },
    );
    const transformation = (metricName: string) => ({
      MetricNamespace: 'Parley',
      MetricName: metricName,
      MetricValue: '1',
      Dimensions: [{ Key: 'Stage', Value: '$.stage' }],
      Unit: 'Count',
    });
    expect(filters).toEqual(
      expect.arrayContaining([
        {
          LogGroupName: expect.anything(),
          FilterPattern: '{ ($.stage = "dev") && ($.transferMode != "STREAMED") }',
          MetricTransformations: [transformation(BUFFERED_RESPONSES_METRIC)],
        },
        {
          LogGroupName: expect.anything(),
          FilterPattern:
            '{ (($.stage = "dev") && ($.transferMode != "STREAMED")) && ($.latencyMs = %^[0-9]{5,9}$%) }',
          MetricTransformations: [transformation(SLOW_BUFFERED_RESPONSES_METRIC)],
        },
      ]),
    );
    expect(filters).toHaveLength(2);
    // The log writes the latency as a string: 10 s or more is five digits or more.
    const slow = new RegExp(SLOW_LATENCY_PATTERN);
    expect(['10000', '29000', '184467440'].every((ms) => slow.test(ms))).toBe(true);
    expect(['9999', '0', '-', '', '1e5', '12345.6'].some((ms) => slow.test(ms))).toBe(false);
    const alarm = Object.values(dev.templates.api.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'parley-dev-ApiLatencyP99',
    )?.Properties as {
      Threshold: number;
      Metrics: { Id: string; Expression?: string; MetricStat?: unknown }[];
    };
    expect(alarm.Threshold).toBe(1);
    expect(alarm.Metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(answered >= 20, 100 * FILL(slow, 0) / answered, 0)',
    );
    expect(alarm.Metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Metric: {
            Namespace: 'Parley',
            MetricName: SLOW_BUFFERED_RESPONSES_METRIC,
            Dimensions: [{ Name: 'Stage', Value: 'dev' }],
          },
          Stat: 'Sum',
        }),
        expect.objectContaining({
          Metric: {
            Namespace: 'Parley',
            MetricName: BUFFERED_RESPONSES_METRIC,
            Dimensions: [{ Name: 'Stage', Value: 'dev' }],
          },
          Stat: 'Sum',
        }),
      ]),
    );
  });
});

describe('deployment of the API functions', () => {
  it('deploys each function alias all at once in dev, rolling back on its alarms', () => {
    const groups = Object.values(dev.templates.api.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups).toHaveLength(handlerGroups.length);
    for (const g of groups) {
      expect(g.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaAllAtOnce');
      expect(g.Properties.AutoRollbackConfiguration).toMatchObject({
        Enabled: true,
        Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']) as unknown,
      });
      expect(g.Properties.AlarmConfiguration.Alarms).toHaveLength(3);
    }
  });

  it('holds no migrator: the Schema stack migrates before this stack is updated', () => {
    expect(dev.templates.api.findResources('Custom::Trigger')).toEqual({});
    expect(dev.stacks.api.dependencies).toContain(dev.stacks.schema);
  });
});

describe('what API Gateway answers by itself', () => {
  type GatewayResponse = {
    Properties: {
      ResponseType: string;
      StatusCode?: string;
      ResponseParameters: Record<string, string>;
      ResponseTemplates: Record<string, string>;
    };
  };
  const responses = () =>
    Object.values(dev.templates.api.findResources('AWS::ApiGateway::GatewayResponse')) as GatewayResponse[];
  const byType = (type: string) => {
    const found = responses().find((r) => r.Properties.ResponseType === type);
    if (!found) throw new Error(`no gateway response ${type}`);
    return found.Properties;
  };
  /** The body as a client gets it, with API Gateway's variables filled in. */
  const render = (template: string) =>
    JSON.parse(
      template
        .replaceAll('$context.error.messageString', JSON.stringify('Invalid request body'))
        .replaceAll('$context.requestId', 'req-1'),
    ) as { type: string; status: number; detail: string; requestId: string; errors?: unknown[] };

  it('is problem+json with the security headers and the request id, for every refusal and failure', () => {
    const types = responses().map((r) => r.Properties.ResponseType);
    expect(types).toEqual(
      expect.arrayContaining([
        'UNAUTHORIZED',
        'ACCESS_DENIED',
        'MISSING_AUTHENTICATION_TOKEN',
        'BAD_REQUEST_BODY',
        'BAD_REQUEST_PARAMETERS',
        'REQUEST_TOO_LARGE',
        'THROTTLED',
        'WAF_FILTERED',
        'DEFAULT_4XX',
        'DEFAULT_5XX',
      ]),
    );
    for (const { Properties: p } of responses()) {
      const h = p.ResponseParameters;
      expect(h['gatewayresponse.header.Content-Type'], p.ResponseType).toBe("'application/problem+json'");
      expect(h['gatewayresponse.header.Strict-Transport-Security'], p.ResponseType).toMatch(/^'max-age=\d+/);
      expect(h['gatewayresponse.header.X-Content-Type-Options'], p.ResponseType).toBe("'nosniff'");
      expect(h['gatewayresponse.header.Content-Security-Policy'], p.ResponseType).toBe(
        "'default-src \\'none\\'; frame-ancestors \\'none\\''",
      );
      expect(h['gatewayresponse.header.Cache-Control'], p.ResponseType).toBe("'no-store'");
      expect(h['gatewayresponse.header.X-Request-Id'], p.ResponseType).toBe('context.requestId');
      const rendered = render(p.ResponseTemplates['application/json'] ?? '');
      expect(rendered.type, p.ResponseType).toMatch(/^urn:parley:problem:/);
      expect(rendered.requestId).toBe('req-1');
    }
  });

  it("gives API Gateway's own answers as the OpenAPI document declares them, on every route they reach", () => {
    // The catch-alls answer whatever API Gateway could not name; an unknown route has no operation.
    const catchAll = ['DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN', 'RESOURCE_NOT_FOUND'];
    // Only signed-in routes have the authorizer.
    const authorizer = ['UNAUTHORIZED', 'ACCESS_DENIED'];
    const checked = new Set<string>();
    for (const { Properties: p } of responses()) {
      if (catchAll.includes(p.ResponseType)) continue;
      const text = JSON.stringify(render(p.ResponseTemplates['application/json'] ?? ''));
      const headers = Object.fromEntries(
        Object.entries(p.ResponseParameters).map(([name, value]) => [
          name.replace('gatewayresponse.header.', '').toLowerCase(),
          value === 'context.requestId' ? 'req-1' : value.slice(1, -1).replaceAll("\\'", "'"),
        ]),
      );
      for (const route of routes) {
        if (authorizer.includes(p.ResponseType) && route.access === 'public') continue;
        const status = Number(p.StatusCode ?? JSON.parse(text).status);
        const answer = { method: route.method, resource: route.path, status, headers, text };
        expect(conformanceProblems(answer), `${p.ResponseType} on ${route.id}`).toEqual([]);
        checked.add(p.ResponseType);
      }
    }
    expect([...checked].sort()).toEqual(
      expect.arrayContaining([
        'INTEGRATION_TIMEOUT',
        'THROTTLED',
        'WAF_FILTERED',
        'UNAUTHORIZED',
        'REQUEST_TOO_LARGE',
      ]),
    );
  });

  it('answers with the status its problem body states (RFC 9457), catch-alls included', () => {
    // A response without a status keeps the one it caught: a crashed function's 502 under a body
    // saying 500. Every response here sets the status its body states.
    for (const { Properties: p } of responses()) {
      const stated = render(p.ResponseTemplates['application/json'] ?? '').status;
      expect(Number(p.StatusCode), p.ResponseType).toBe(stated);
    }
    expect(byType('DEFAULT_5XX').StatusCode).toBe('500');
    expect(byType('INTEGRATION_FAILURE').StatusCode).toBe('504');
    expect(byType('RESOURCE_NOT_FOUND').StatusCode).toBe('404');
  });

  it('names the Bearer scheme on its 401 (RFC 6750), as the functions do', () => {
    expect(byType('UNAUTHORIZED').ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe(
      `'Bearer realm="parley"'`,
    );
  });

  it('answers the authorizer’s refusal as 401 and an unknown route as 404, not 403', () => {
    expect(render(byType('UNAUTHORIZED').ResponseTemplates['application/json'] ?? '')).toMatchObject({
      type: 'urn:parley:problem:unauthorized',
      status: 401,
    });
    const missing = byType('MISSING_AUTHENTICATION_TOKEN');
    expect(missing.StatusCode).toBe('404');
    expect(render(missing.ResponseTemplates['application/json'] ?? '')).toMatchObject({ status: 404 });
  });

  it('names the request as the field of a validation failure, and says when to retry a throttle', () => {
    expect(render(byType('BAD_REQUEST_BODY').ResponseTemplates['application/json'] ?? '')).toMatchObject({
      status: 400,
      errors: [{ path: 'request', message: 'Invalid request body' }],
    });
    expect(byType('THROTTLED').ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
  });
});

describe('functions', () => {
  const ours = () => ourFunctions(dev);

  it('gives the API functions the cache endpoint and runs them in the VPC', () => {
    const api = ours().filter((f) => f.stack === 'api' && f.id.startsWith('Fn'));
    expect(api).toHaveLength(handlerGroups.length);
    for (const f of api) {
      expect(Object.keys((f.props.Environment as { Variables: object }).Variables)).toEqual(
        expect.arrayContaining(['CACHE_ENDPOINT', 'CACHE_USER', 'CACHE_NAME']),
      );
      expect(f.props.VpcConfig, f.id).toBeDefined();
    }
  });
});

describe("Cognito's admin APIs", () => {
  it('lets each function call exactly the ones its code calls, on the stage pool only', () => {
    // What each bundle calls: the admin routes through functions/admin/adapters/
    // cognito-identity-provider.ts (invite and its undo, group changes, enable, sign-out, MFA
    // reset, finding an unclaimed invitation); `/me`'s sign-out everywhere through
    // functions/users/adapters/cognito-sessions.ts. Parley never disables a user in Cognito,
    // resets a password or lists users there. A grant added or removed is a change of this list.
    const byFunction = serviceActionsByFunction(dev.templates.api, 'cognito-idp');
    expect(Object.fromEntries(Object.entries(byFunction).map(([fn, { actions }]) => [fn, actions]))).toEqual({
      'parley-dev-retention': [],
      'parley-dev-api-health': [],
      'parley-dev-api-users': ['cognito-idp:AdminUserGlobalSignOut'],
      'parley-dev-api-conversations': [],
      'parley-dev-api-chat': [],
      'parley-dev-api-exports': [],
      'parley-dev-api-admin': [
        'cognito-idp:AdminAddUserToGroup',
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminEnableUser',
        'cognito-idp:AdminGetUser',
        'cognito-idp:AdminListGroupsForUser',
        'cognito-idp:AdminRemoveUserFromGroup',
        'cognito-idp:AdminSetUserMFAPreference',
        'cognito-idp:AdminUserGlobalSignOut',
      ],
    });
    for (const [fn, { resources }] of Object.entries(byFunction))
      for (const resource of resources) expect(JSON.stringify(resource), fn).toMatch(/UserPool.*Arn/);
  });
});

describe("the OpenAPI document's token endpoint", () => {
  /** A template value with the account and Region filled in, as CloudFormation would. */
  const resolved = (value: unknown): string =>
    JSON.stringify(value) === JSON.stringify({ Ref: 'AWS::AccountId' })
      ? '123456789012'
      : JSON.stringify(value) === JSON.stringify({ Ref: 'AWS::Region' })
        ? 'eu-west-1'
        : typeof value === 'string'
          ? value
          : (() => {
              const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
              if (!join) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
              return join[1].map(resolved).join(join[0]);
            })();

  it("is given to the health function only, and names the Auth stack's own user pool domain", () => {
    for (const stage of [dev, prod]) {
      const name = stage.stacks.config.stage;
      const withUrl = ourFunctions(stage).filter(
        (f) =>
          'OAUTH_TOKEN_URL' in ((f.props.Environment as { Variables?: object } | undefined)?.Variables ?? {}),
      );
      expect(withUrl.map((f) => f.props.Description)).toEqual([`Parley ${name} API: health`]);
      const url = new URL(
        resolved(
          (withUrl[0]?.props.Environment as { Variables: Record<string, unknown> }).Variables.OAUTH_TOKEN_URL,
        ),
      );
      const [domain] = Object.values(stage.templates.auth.findResources('AWS::Cognito::UserPoolDomain'));
      const prefix = resolved(domain?.Properties.Domain);
      expect(url.href).toBe(`https://${prefix}.auth.eu-west-1.amazoncognito.com/oauth2/token`);
      // Cognito's prefix rule: lowercase letters, digits and hyphens, at most 63 characters, and
      // none of the reserved words aws, amazon or cognito.
      expect(prefix).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
      expect(prefix).not.toMatch(/aws|amazon|cognito/);
    }
  });
});

describe('stack traces against cold starts', () => {
  const nodeOptions = (stage: SynthesizedStage) =>
    ourFunctions(stage)
      .filter((f) => f.stack === 'api' || f.stack === 'auth')
      .map((f) => [
        f.id,
        (f.props.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS,
      ]);

  it('maps stack traces to TypeScript in dev only: prod pays no source map at cold start', () => {
    // Node reads the bundle's map as it loads it with --enable-source-maps (~40 ms more on the
    // first request of an instance in bench/cold-start.ts): prod's functions leave it out.
    expect(stageConfig('dev').runtimeSourceMaps).toBe(true);
    expect(stageConfig('prod').runtimeSourceMaps).toBe(false);
    const devOptions = nodeOptions(dev);
    const prodOptions = nodeOptions(prod);
    // Every API group, the migrator, the triggers and the sign-in activity handler.
    expect(devOptions.length).toBeGreaterThanOrEqual(handlerGroups.length + 3);
    expect(prodOptions).toHaveLength(devOptions.length);
    for (const [id, value] of devOptions) expect(value, id as string).toBe('--enable-source-maps');
    for (const [id, value] of prodOptions) expect(value, id as string).toBeUndefined();
  });
});

describe('function timeouts', () => {
  it('ends no buffered request in the function after API Gateway has given up on it', () => {
    const functions = resourcesOfType(dev, 'AWS::Lambda::Function').filter((f) => f.stack === 'api');
    const functionOf = (group: string) => {
      const fn = functions.find((f) => String(f.props.Description).endsWith(`API: ${group}`));
      if (!fn) throw new Error(`no function for ${group}`);
      return fn.props as { Timeout: number };
    };
    for (const route of routes) {
      const integration = methodFor(route).Properties.Integration;
      const integrationMs = (integration.TimeoutInMillis as number | undefined) ?? 29_000;
      const functionMs = functionOf(route.group).Timeout * 1000;
      if (integration.ResponseTransferMode === 'STREAM' && route.group === 'chat') {
        // The chat function outlives the stream a little, to store how the reply ended.
        expect(functionMs, route.id).toBeGreaterThan(integrationMs);
        expect(functionMs, route.id).toBeLessThanOrEqual(integrationMs + 60_000);
      } else if (integration.ResponseTransferMode === 'STREAM') {
        // A download has nothing to store after its stream: it ends with it.
        expect(functionMs, route.id).toBe(integrationMs);
      } else {
        expect(integrationMs, route.id).toBeLessThanOrEqual(29_000);
        expect(functionMs, route.id).toBeLessThanOrEqual(integrationMs);
      }
    }
  });
});

describe('exports', () => {
  it("are served by a function of their own, whose duration alarm is not the chat function's", () => {
    const exportRoutes = routes.filter((r) => r.group === 'exports');
    expect(exportRoutes.map((r) => r.id)).toEqual(['conversations.export']);
    expect(routes.filter((r) => r.group === 'chat').every((r) => r.method === 'POST')).toBe(true);
    const alarms = Object.values(dev.templates.api.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { AlarmName: string; Threshold: number; ExtendedStatistic?: string },
    );
    const duration = (group: string) =>
      alarms.find((a) => a.AlarmName === `parley-dev-api-${group}-duration`);
    // A long download would hold the chat function's p99, and a canary's rollback, past its line.
    expect(duration('chat')).toMatchObject({ ExtendedStatistic: 'p99' });
    expect(duration('exports')).toMatchObject({ Threshold: 120_000, ExtendedStatistic: 'p99' });
  });

  it("puts the chat function's duration line no lower than the longest model call the functions allow", () => {
    // A reply lasts as long as the model writes, up to OPENAI_TOTAL_TIMEOUT_MS: a long answer
    // within it is no fault, and must neither page nor roll a canary back.
    const alarms = Object.values(dev.templates.api.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { AlarmName: string; Threshold: number },
    );
    const chat = alarms.find((a) => a.AlarmName === 'parley-dev-api-chat-duration');
    // What the deployed chat function reads, parsed as it parses it.
    const fn = ourFunctions(dev).find((f) => {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      return variables.POWERTOOLS_SERVICE_NAME === 'chat';
    });
    const variables = (fn?.props.Environment as { Variables: Record<string, unknown> }).Variables;
    const allowed = configSchema.parse(resolvedEnvironment(variables)).OPENAI_TOTAL_TIMEOUT_MS;
    expect(allowed).toBeGreaterThan(60_000);
    expect(chat?.Threshold).toBeGreaterThanOrEqual(allowed);
  });
});

describe('OpenAI secret', () => {
  it('is readable by the chat function only (readiness just sees that it is configured)', () => {
    type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
    const policies = resourcesOfType(dev, 'AWS::IAM::Policy');
    const readers = ourFunctions(dev).filter((fn) => {
      const role = (fn.props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      return policies
        .filter(
          (p) =>
            p.stack === fn.stack &&
            (p.props.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })),
        )
        .flatMap((p) => (p.props.PolicyDocument as { Statement: Statement[] }).Statement)
        .some(
          (st) =>
            st.Effect === 'Allow' &&
            [st.Action].flat().some((a) => a.startsWith('secretsmanager:')) &&
            /OpenAi/i.test(JSON.stringify(st.Resource)),
        );
    });
    expect(ourFunctions(dev).length).toBeGreaterThan(handlerGroups.length);
    expect(readers.map((f) => f.props.Description)).toEqual(['Parley dev API: chat']);
    const health = ourFunctions(dev).find((f) => f.props.Description === 'Parley dev API: health');
    expect((health?.props.Environment as { Variables: Record<string, unknown> }).Variables).toHaveProperty(
      'OPENAI_SECRET_ARN',
    );
  });
});

describe('API alarms', () => {
  it('leaves requests refused for lacking the origin secret out of the WAF alarm', () => {
    const alarm = Object.values(dev.templates.api.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'parley-dev-ApiWafBlockedSpike',
    );
    type Query = {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Dimensions: { Name: string; Value: string }[] } };
    };
    const queries = alarm?.Properties.Metrics as Query[];
    const rule = (id: string) =>
      queries.find((q) => q.Id === id)?.MetricStat?.Metric.Dimensions.find((d) => d.Name === 'Rule')?.Value;
    expect(queries.find((q) => q.Expression)?.Expression).toBe('FILL(blocked, 0) - FILL(direct, 0)');
    expect(rule('blocked')).toBe('ALL');
    // WAF names a rule's metric by its visibility config, which must match the rule's.
    const acl = Object.values(dev.templates.api.findResources('AWS::WAFv2::WebACL'))[0];
    const required = (
      acl?.Properties.Rules as { Name: string; VisibilityConfig: { MetricName: string } }[]
    ).find((r) => r.Name === 'RequireOriginHeader');
    expect(rule('direct')).toBe(required?.VisibilityConfig.MetricName);
  });

  it("watches the API web ACL's own metrics: WebACL is its visibility config's metric name, in its region", () => {
    // Prepare: the alarm's metric queries and the web ACL they should read.
    const alarm = Object.values(dev.templates.api.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'parley-dev-ApiWafBlockedSpike',
    );
    const acl = Object.values(dev.templates.api.findResources('AWS::WAFv2::WebACL'))[0];
    type Query = {
      MetricStat?: { Metric: { Namespace: string; Dimensions: { Name: string; Value: unknown }[] } };
    };

    // Act: the dimensions of each metric the alarm reads.
    const metrics = (alarm?.Properties.Metrics as Query[]).flatMap((q) =>
      q.MetricStat ? [q.MetricStat.Metric] : [],
    );
    const dimension = (m: (typeof metrics)[number], name: string) =>
      m.Dimensions.find((d) => d.Name === name)?.Value;

    // Assess: AWS/WAFV2 names a web ACL by VisibilityConfig.MetricName (not its Name), and a
    // regional ACL's metrics carry the Region dimension; any other value is a series that never exists.
    const metricName = (acl?.Properties.VisibilityConfig as { MetricName: string }).MetricName;
    expect(metricName).not.toBe(acl?.Properties.Name);
    expect(metrics).toHaveLength(2);
    for (const m of metrics) {
      expect(m.Namespace).toBe('AWS/WAFV2');
      expect(dimension(m, 'WebACL')).toBe(metricName);
      expect(dimension(m, 'Region')).toBe(stageConfig('dev').region);
    }
  });
});

describe('execution logs', () => {
  it('creates the group API Gateway writes its execution logs to, encrypted and with a retention', () => {
    const [id, group] =
      Object.entries(
        dev.templates.api.findResources('AWS::Logs::LogGroup', {
          Properties: { LogGroupName: Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
        }),
      ).find(([, g]) => JSON.stringify(g.Properties.LogGroupName).includes('API-Gateway-Execution-Logs_')) ??
      [];
    expect(group?.Properties.LogGroupName).toEqual({
      'Fn::Join': [
        '',
        ['API-Gateway-Execution-Logs_', { Ref: expect.stringMatching(/^Api/) as unknown }, '/dev'],
      ],
    });
    expect(group?.Properties.RetentionInDays).toBe(30);
    expect(group?.Properties.KmsKeyId).toBeDefined();
    const stage = Object.values(dev.templates.api.findResources('AWS::ApiGateway::Stage'))[0];
    expect(stage?.DependsOn).toContain(id);
  });
});

/** The prod Api stack with other API settings, synthesized alone (no cdk-nag). */
function prodApiWith(api: Partial<StageConfig['api']>): Template {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const base = stageConfig('prod');
  const stacks = addParleyStage(app, parseStageConfig({ ...base, api: { ...base.api, ...api } }));
  return Template.fromStack(stacks.api);
}

const reservedTotal = (functions: { props: Record<string, unknown> }[]) =>
  functions.reduce((sum, f) => sum + ((f.props.ReservedConcurrentExecutions as number | undefined) ?? 0), 0);

describe('reserved concurrency', () => {
  it('reserves nothing where the stage does not opt in, so a new account can deploy', () => {
    for (const stage of [dev, prod]) {
      expect(reservedTotal(resourcesOfType(stage, 'AWS::Lambda::Function'))).toBe(0);
    }
  });

  it('reserves for the functions that query Aurora, leaving 100 of the stated quota unreserved', () => {
    // Prepare
    const quota = 1000;

    // Act
    const template = prodApiWith({ reservedConcurrency: 200, lambdaConcurrencyQuota: quota });

    // Assess
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, r]) => ({
      id,
      props: r.Properties as Record<string, unknown>,
    }));
    const reserved = functions
      .filter((f) => f.props.ReservedConcurrentExecutions)
      .map((f) => [f.id.replace(/[0-9A-F]{8}$/, ''), f.props.ReservedConcurrentExecutions]);
    expect(Object.fromEntries(reserved)).toEqual({
      Fnadmin: 200,
      Fnchat: 200,
      Fnconversations: 200,
      Fnusers: 200,
      // Exports are rare and long: a quarter, so a burst of them cannot take the database.
      Fnexports: 50,
    });
    expect(reservedTotal(functions) + LAMBDA_UNRESERVED_MINIMUM).toBeLessThanOrEqual(quota);
  });

  it('fails the synth when the reservations and the 100 unreserved exceed the stated quota', () => {
    expect(() => prodApiWith({ reservedConcurrency: 200, lambdaConcurrencyQuota: 949 })).toThrow(
      /reserves 850 concurrent executions.*exceeds api\.lambdaConcurrencyQuota \(949\)/,
    );
    // 4 × 200 + 50 + the 100 Lambda keeps is exactly 950.
    expect(() => prodApiWith({ reservedConcurrency: 200, lambdaConcurrencyQuota: 950 })).not.toThrow();
  });
});

describe('in prod', () => {
  it('deploys the API functions as 10% canaries for 5 minutes', () => {
    const groups = Object.values(prod.templates.api.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups).toHaveLength(handlerGroups.length);
    for (const g of groups)
      expect(g.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
  });
});

describe('the retention run', () => {
  /** The one schedule of the stage (the test fails when there is another, or none). */
  const theSchedule = (stage: SynthesizedStage) => {
    const [only, ...more] = schedules(stage);
    if (!only || more.length > 0) throw new Error('expected exactly one schedule');
    return only;
  };
  const schedules = (stage: SynthesizedStage) =>
    Object.values(stage.templates.api.findResources('AWS::Scheduler::Schedule')) as {
      Properties: {
        ScheduleExpression: string;
        FlexibleTimeWindow: { Mode: string };
        State?: string;
        Target: {
          Arn: unknown;
          RoleArn: unknown;
          RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
        };
      };
    }[];
  const retentionFunction = (stage: SynthesizedStage) => {
    const found = ourFunctions(stage).filter(
      (f) => f.props.FunctionName === `parley-${stageName(stage)}-retention`,
    );
    const [only, ...more] = found;
    if (!only || more.length > 0) throw new Error(`expected one retention function, found ${found.length}`);
    return only;
  };
  const stageName = (stage: SynthesizedStage) => (stage === prod ? 'prod' : 'dev');

  it('runs once a day through EventBridge Scheduler, within its documented limits', () => {
    const { ScheduleExpression, FlexibleTimeWindow, Target } = theSchedule(dev).Properties;
    // Scheduler's cron has six fields (minutes hours day-of-month month day-of-week year), one of
    // the two day fields "?": once a day at 03:17 UTC.
    expect(ScheduleExpression).toBe('cron(17 3 * * ? *)');
    expect(FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    // RetryPolicy: 0–185 attempts, an event age of 60–86,400 s (the Scheduler API reference).
    expect(Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 });
    expect(Target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(Target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThanOrEqual(86_400);
    expect(JSON.stringify(Target.Arn)).toContain('RetentionLive');
  });

  it("lets the scheduler's role invoke that alias alone, and nothing else", () => {
    const roleId = (theSchedule(dev).Properties.Target.RoleArn as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ][0];
    const role = dev.templates.api.findResources('AWS::IAM::Role')[roleId] as {
      Properties: { AssumeRolePolicyDocument: { Statement: { Principal: unknown; Condition?: unknown }[] } };
    };
    expect(role.Properties.AssumeRolePolicyDocument.Statement.map((s) => s.Principal)).toEqual([
      { Service: 'scheduler.amazonaws.com' },
    ]);
    const policies = Object.values(dev.templates.api.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(roleId),
    ) as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s) => s.Action)).toEqual(['lambda:InvokeFunction']);
    expect(JSON.stringify(statements.map((s) => s.Resource))).toContain('RetentionLive');
    expect(JSON.stringify(statements.map((s) => s.Resource))).not.toContain(':*');
  });

  it('gives the function the stage policy, parsed as the function parses it', () => {
    const env = (stage: SynthesizedStage) =>
      (retentionFunction(stage).props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env(dev)).toMatchObject({ CONVERSATION_PURGE_DAYS: '30', POWERTOOLS_SERVICE_NAME: 'retention' });
    expect(env(dev).CONVERSATION_RETENTION_DAYS).toBeUndefined();
    const strict = synthesizeStage('dev', {
      change: (c) => ({ ...c, retention: { deletedConversationsDays: 7, conversationDays: 365 } }),
    });
    const variables = (
      ourFunctions(strict).find((f) => f.props.FunctionName === 'parley-dev-retention')?.props
        .Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(variables).toMatchObject({ CONVERSATION_PURGE_DAYS: '7', CONVERSATION_RETENTION_DAYS: '365' });
    expect(() =>
      parseStageConfig({ ...stageConfig('dev'), retention: { deletedConversationsDays: 400 } }),
    ).toThrow(/retention\.deletedConversationsDays/);
    expect(() =>
      parseStageConfig({
        ...stageConfig('dev'),
        retention: { deletedConversationsDays: 30, conversationDays: 0 },
      }),
    ).toThrow(/retention\.conversationDays/);
  });

  it('alarms when a day and more passes without a run, within the evaluation range CloudWatch allows', () => {
    const alarms = Object.values(dev.templates.api.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: Record<string, unknown>;
    }[];
    const missed = alarms.find((a) => a.Properties.AlarmName === 'parley-dev-retention-missed');
    expect(missed?.Properties).toMatchObject({
      MetricName: 'Invocations',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Period: 21_600,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    // Period × evaluation periods: at most 7 days (and a day for periods under an hour).
    const period = Number(missed?.Properties.Period);
    const range = period * Number(missed?.Properties.EvaluationPeriods);
    expect(range).toBeLessThanOrEqual(period >= 3600 ? 604_800 : 86_400);
    // Longer than a day: one daily run inside it keeps the alarm quiet.
    expect(range).toBeGreaterThan(86_400);
    expect(JSON.stringify(missed?.Properties.AlarmActions)).toContain('AlarmTopic');
  });

  it('alarms when three runs in a row stop with work left, on the metric as the function publishes it', () => {
    for (const stage of [dev, prod]) {
      const name = stage.stacks.config.stage;
      const alarms = Object.values(stage.templates.api.findResources('AWS::CloudWatch::Alarm')) as {
        Properties: Record<string, unknown>;
      }[];
      const behind = alarms.find((a) => a.Properties.AlarmName === `parley-${name}-retention-behind`);
      // The set the function publishes (functions/conversations/retention/handler-metrics.int.test.ts).
      const { metricName, dimensionsMap } = RETENTION_INCOMPLETE(name);
      expect(behind?.Properties).toMatchObject({
        Namespace: 'Parley',
        MetricName: metricName,
        Statistic: 'Maximum',
        Period: 86_400,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(behind?.Properties.Dimensions).toEqual(
        expect.arrayContaining(Object.entries(dimensionsMap).map(([Name, Value]) => ({ Name, Value }))),
      );
      expect(behind?.Properties.Dimensions).toHaveLength(Object.keys(dimensionsMap).length);
      expect(JSON.stringify(behind?.Properties.AlarmActions)).toContain('AlarmTopic');
    }
  });
});
