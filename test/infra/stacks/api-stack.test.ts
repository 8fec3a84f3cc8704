import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerGroups, type RouteDeclaration, routes } from '#api/index';
import { ourFunctions, resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

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

  it('streams the streaming route (with the 5-minute streaming timeout) and buffers the others', () => {
    const streamingRoutes = routes.filter((r) => r.streaming);
    expect(streamingRoutes.map((r) => r.id)).toEqual(['messages.send']);
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

  it('compresses buffered responses and throttles the stage, tighter on the chat route', () => {
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
      ]),
    });
  });

  it('writes JSON access logs to an encrypted log group', () => {
    const stage = Object.values(dev.templates.api.findResources('AWS::ApiGateway::Stage'))[0];
    const format = JSON.parse(stage?.Properties.AccessLogSetting.Format as string) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      wafStatus: '$context.waf.status',
    });
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

  it('runs the migrations before the functions are updated, failing the deploy if they throw', () => {
    const triggers = dev.templates.api.findResources('Custom::Trigger');
    const [id, trigger] = Object.entries(triggers)[0] ?? [];
    expect(trigger?.Properties.InvocationType).toBe('RequestResponse');
    const functions = dev.templates.api.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('API: ') },
    });
    expect(Object.keys(functions)).toHaveLength(handlerGroups.length);
    for (const fn of Object.values(functions)) expect(fn.DependsOn).toContain(id);
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

describe('in prod', () => {
  it('deploys the API functions as 10% canaries for 5 minutes', () => {
    const groups = Object.values(prod.templates.api.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups).toHaveLength(5);
    for (const g of groups)
      expect(g.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
  });

  it('reserves concurrency for the functions that query Aurora', () => {
    const reserved = resourcesOfType(prod, 'AWS::Lambda::Function').filter(
      (f) => f.props.ReservedConcurrentExecutions,
    );
    expect(reserved.map((f) => f.id).sort()).toEqual([
      expect.stringMatching(/^Fnadmin/),
      expect.stringMatching(/^Fnchat/),
      expect.stringMatching(/^Fnconversations/),
      expect.stringMatching(/^Fnusers/),
    ]);
  });
});
