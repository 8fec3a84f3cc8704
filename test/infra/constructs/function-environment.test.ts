import { handlerGroups } from '#api/index';
import { beforeAll, describe, expect, it } from 'vitest';
import { migratorDatabaseConfig } from '../../../functions/migrations/config';
import { configSchema } from '../../../functions/shared/config';
import { parseStageConfig, stageConfig } from '../../../lib/config/stages';
import {
  ourFunctions,
  PLAUSIBLE_ENV,
  resolvedEnvironment,
  type SynthesizedStage,
  synthesizeStage,
} from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

describe('functions', () => {
  const ours = () => ourFunctions(dev);

  /** The migrator's own (lib/stacks/schema-stack.ts): deployed before the user pool, it knows none of it. */
  const isMigrator = (f: { props: Record<string, unknown> }) =>
    f.props.FunctionName === 'parley-dev-migrator';

  it('gives the migrator the database alone, as it parses it: its stack deploys before the user pool', () => {
    const migrator = ours().find(isMigrator);
    const variables = (migrator?.props.Environment as { Variables: Record<string, unknown> }).Variables;
    const env = resolvedEnvironment(variables, { DB_APP_SECRET_ARN: PLAUSIBLE_ENV.DB_SECRET_ARN ?? '' });

    expect(() => migratorDatabaseConfig(env)).not.toThrow();
    // NODE_OPTIONS is the stage's runtimeSourceMaps, as for every function.
    expect(
      Object.keys(env)
        .filter((k) => k !== 'NODE_OPTIONS')
        .sort(),
    ).toEqual([
      'DB_APP_SECRET_ARN',
      'DB_CLUSTER_ARN',
      'DB_DRIVER',
      'DB_NAME',
      'DB_SECRET_ARN',
      'LOG_LEVEL',
      'POWERTOOLS_SERVICE_NAME',
      'STAGE',
    ]);
  });

  it('sets the environment every function parses with the shared config schema', () => {
    for (const f of ours().filter((fn) => !isMigrator(fn))) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = resolvedEnvironment(variables);
      const parsed = configSchema.safeParse(env);
      expect(parsed.error?.issues ?? [], f.id).toEqual([]);
      expect(env, f.id).toMatchObject({
        STAGE: 'dev',
        DB_DRIVER: 'data-api',
        DB_NAME: 'parley',
        POWERTOOLS_METRICS_NAMESPACE: 'Parley',
        LOG_LEVEL: 'DEBUG',
        WEB_ORIGIN: expect.stringMatching(/^https:\/\//) as unknown as string,
      });
      for (const key of [
        'POWERTOOLS_SERVICE_NAME',
        'OPENAI_MODEL',
        'OPENAI_SECRET_ARN',
        'COGNITO_CLIENT_IDS',
      ]) {
        expect(env[key], `${f.id} ${key}`).toBeTruthy();
      }
    }
  });

  it("gives the API functions each role's default monthly tokens from the stage config", () => {
    const api = ourFunctions(dev).filter((f) => {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      return ['chat', 'users', 'admin'].includes(String(variables.POWERTOOLS_SERVICE_NAME));
    });
    expect(api).toHaveLength(3);
    for (const f of api) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = resolvedEnvironment(variables);
      expect(env, f.id).toMatchObject({ CHAT_QUOTA_MEMBERS: '200000', CHAT_QUOTA_ADMINS: '1000000' });
    }
  });

  it('gives the API functions the models people may pick, the default first, and the triggers none', () => {
    // Prepare
    const stage = synthesizeStage('dev', { change: (c) => ({ ...c, openaiModels: ['gpt-4o', 'o3-mini'] }) });

    // Act
    const environments = ourFunctions(stage).map((f) => {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      return { id: f.id, env: resolvedEnvironment(variables) };
    });

    // Assess: what /api/me lists and a message may name, parsed as the functions parse it.
    const api = environments.filter(({ env }) =>
      (handlerGroups as readonly string[]).includes(String(env.POWERTOOLS_SERVICE_NAME)),
    );
    expect(api).toHaveLength(handlerGroups.length);
    for (const { id, env } of api) {
      expect(env.OPENAI_MODELS, id).toBe('gpt-4o-mini,gpt-4o,o3-mini');
      expect(configSchema.parse(env).OPENAI_MODELS, id).toEqual(['gpt-4o-mini', 'gpt-4o', 'o3-mini']);
    }
    // The Cognito triggers and the sign-in activity function never call the model.
    const auth = environments.filter(({ env }) => String(env.POWERTOOLS_SERVICE_NAME).startsWith('auth-'));
    expect(auth.length).toBeGreaterThanOrEqual(4);
    for (const { id, env } of auth) expect(env.OPENAI_MODELS, id).toBeUndefined();
    // None by default: a message can name only the default model.
    for (const f of ours()) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.OPENAI_MODELS, f.id).toBeUndefined();
    }
  });

  it("gives the organisation's instructions to the chat function, the retention run and the admin function (whose sweep and erasure charge abandoned replies by the prompt they were sent) alone, as the functions parse them", () => {
    const prompt = "You are Acme's assistant.\nNever share customer data.";
    const stage = synthesizeStage('dev', { change: (c) => ({ ...c, chatSystemPrompt: prompt }) });
    const withPrompt = ourFunctions(stage).filter((f) => {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      return variables.CHAT_SYSTEM_PROMPT !== undefined;
    });
    const services = withPrompt.map(
      (f) =>
        (f.props.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME,
    );
    expect(services.sort()).toEqual(['admin', 'chat', 'retention']);
    for (const f of withPrompt) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(configSchema.parse(resolvedEnvironment(variables)).CHAT_SYSTEM_PROMPT).toBe(prompt);
    }
    // None by default: the built-in instructions apply.
    for (const f of ours()) {
      const defaults = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(defaults.CHAT_SYSTEM_PROMPT, f.id).toBeUndefined();
    }
  });

  it('gives the most tokens a reply may have to the function that calls the model alone, as it parses it', () => {
    const stage = synthesizeStage('dev', { change: (c) => ({ ...c, chatMaxReplyTokens: 4096 }) });
    const capped = ourFunctions(stage).filter((f) => {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      return variables.CHAT_MAX_REPLY_TOKENS !== undefined;
    });
    expect(
      capped.map(
        (f) =>
          (f.props.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME,
      ),
    ).toEqual(['chat']);
    const variables = (capped[0]?.props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(configSchema.parse(resolvedEnvironment(variables)).CHAT_MAX_REPLY_TOKENS).toBe(4096);
    // None by default: the model's own limit applies.
    for (const f of ours()) {
      const defaults = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(defaults.CHAT_MAX_REPLY_TOKENS, f.id).toBeUndefined();
    }
    // The stage refuses what the functions would refuse at cold start.
    for (const bad of [0, 1.5, 1_000_001])
      expect(() => parseStageConfig({ ...stageConfig('dev'), chatMaxReplyTokens: bad }), String(bad)).toThrow(
        /chatMaxReplyTokens/,
      );
  });

  it("stays under Lambda's 4 KB of environment with the most models and the longest instructions a stage may set", () => {
    // The quota is on the variables' total size and cannot be raised: a deploy over it fails.
    const longest = Array.from({ length: 8 }, (_, i) => `${i}${'m'.repeat(63)}`);
    // The quota counts bytes: the stage allows 2,000 bytes of UTF-8 (1,000 × ü, 2 bytes each).
    const prompt = 'ü'.repeat(1000);
    expect(parseStageConfig({ ...stageConfig('dev'), chatSystemPrompt: prompt }).chatSystemPrompt).toBe(
      prompt,
    );
    expect(() => parseStageConfig({ ...stageConfig('dev'), chatSystemPrompt: `${prompt}x` })).toThrow(
      /chatSystemPrompt: at most 2,000 bytes in UTF-8/,
    );
    for (const stage of ['dev', 'prod'] as const) {
      const synthesized = synthesizeStage(stage, {
        change: (c) => ({
          ...c,
          openaiModels: longest,
          chatSystemPrompt: prompt,
          chatMaxReplyTokens: 1_000_000,
        }),
      });
      for (const f of ourFunctions(synthesized)) {
        const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
        // Plausible values for the tokens, each padded to twice its length for longer real names.
        const env = resolvedEnvironment(variables);
        const bytes = Object.entries(env).reduce(
          (sum, [key, value]) =>
            sum +
            Buffer.byteLength(key) +
            Buffer.byteLength(value) * (typeof variables[key] === 'string' ? 1 : 2),
          0,
        );
        expect(bytes, `${stage} ${f.id}`).toBeLessThan(4096);
      }
    }
  });
});
