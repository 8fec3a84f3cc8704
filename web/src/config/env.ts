import * as z from 'zod/mini';

/**
 * Runtime configuration, fetched from `/config.json` when the app starts rather than baked in at
 * build time, so one build serves every stage: on AWS the deploy writes the file into the bucket,
 * locally the local server answers it.
 */
export const runtimeConfigSchema = z.object({
  region: z.string().check(z.minLength(1)),
  userPoolId: z
    .string()
    .check(z.regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'expected a Cognito user pool id like eu-west-1_AbC123')),
  clientId: z.string().check(z.minLength(1)),
  /** Only set locally, where Cognito is the cognito-local emulator. */
  cognitoEndpoint: z.nullish(z.url({ protocol: /^https?$/ })),
  /**
   * Where the API's paths (`/me`, `/conversations`, …) live: a path on this origin such as `/api`
   * (CloudFront and the local server both forward `/api/*`) or an absolute URL.
   */
  apiUrl: z.string().check(
    z.minLength(1),
    z.refine((value) => value.startsWith('/') || URL.canParse(value), 'expected a path or an absolute URL'),
  ),
  /**
   * Minutes without activity in any tab before the app signs the person out (the stage's
   * `web.idleSignOutMinutes`); 0: never. Absent (an older deployment's file): 30.
   */
  idleSignOutMinutes: z.optional(z.number().check(z.gte(0), z.lte(720))),
});

/** The idle sign-out of a configuration, in ms; null: never. */
export function idleSignOutMs(config: Pick<RuntimeConfig, 'idleSignOutMinutes'>): number | null {
  const minutes = config.idleSignOutMinutes ?? 30;
  return minutes > 0 ? minutes * 60_000 : null;
}

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_PATH = '/config.json';

export async function loadConfig(fetchFn: typeof fetch = fetch): Promise<RuntimeConfig> {
  let response: Response;
  try {
    response = await fetchFn(CONFIG_PATH, { cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch {
    throw new ConfigError(`Could not fetch ${CONFIG_PATH}: the server is unreachable.`);
  }
  if (!response.ok) {
    throw new ConfigError(`Could not fetch ${CONFIG_PATH}: the server answered ${response.status}.`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigError(`${CONFIG_PATH} is not JSON.`);
  }
  const parsed = runtimeConfigSchema.safeParse(body);
  if (!parsed.success) {
    throw new ConfigError(`${CONFIG_PATH} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
