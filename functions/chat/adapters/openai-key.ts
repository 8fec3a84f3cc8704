import type { AwsJsonClient } from '#shared/aws/aws-json-client';

/**
 * Where the OpenAI API key comes from: OPENAI_API_KEY on a laptop, a Secrets Manager secret
 * (OPENAI_SECRET_ARN) on AWS, read once per cold start. The key is never logged, and no error
 * raised here carries it.
 */
export interface OpenAIKeySource {
  /** The key; fetched on first use and then kept. */
  get(): Promise<string>;
  /** Forgets a fetched key (the provider refused it: it may have been rotated). */
  invalidate(): void;
}

export interface OpenAIKeyConfig {
  readonly OPENAI_API_KEY?: string | undefined;
  readonly OPENAI_SECRET_ARN?: string | undefined;
  readonly AWS_REGION: string;
}

export interface OpenAIKeyDeps {
  /** The Secrets Manager client to use (tests point one at a fake); created lazily otherwise. */
  readonly secretsManager?: () => Promise<AwsJsonClient>;
}

/** The key could not be read; says which secret, never what it holds. */
export class OpenAIKeyError extends Error {
  override readonly name = 'OpenAIKeyError';
}

/** A source for the configured key, or undefined when none is configured (the offline model). */
export function openAIKeySource(
  config: OpenAIKeyConfig,
  deps: OpenAIKeyDeps = {},
): OpenAIKeySource | undefined {
  const local = config.OPENAI_API_KEY;
  if (local) return { get: async () => local, invalidate: () => {} };
  const secretId = config.OPENAI_SECRET_ARN;
  if (!secretId) return undefined;

  // Imported on first use: a process whose key is local never loads the client.
  const client =
    deps.secretsManager ??
    (async () => {
      const { awsJsonClient } = await import('#shared/aws/aws-json-client');
      // The first chat call of a cold start waits on this: each attempt has 3 s, connection included.
      return awsJsonClient({
        service: 'secretsmanager',
        targetPrefix: 'secretsmanager',
        region: config.AWS_REGION,
        timeoutMs: 3_000,
      });
    });

  let key: Promise<string> | undefined;
  const fetchKey = async (): Promise<string> => {
    const output = await (
      await client()
    ).call<{ SecretId: string }, { SecretString?: string }>('GetSecretValue', { SecretId: secretId });
    return parseSecret(output.SecretString, secretId);
  };
  return {
    get() {
      // Concurrent first calls share one fetch; a failed one is forgotten so the next call retries.
      key ??= fetchKey().catch((error: unknown) => {
        key = undefined;
        throw error instanceof OpenAIKeyError
          ? error
          : new OpenAIKeyError(`could not read the OpenAI key from ${secretId}`, { cause: error });
      });
      return key;
    },
    invalidate() {
      key = undefined;
    },
  };
}

/** The secret is the key itself, or JSON with an `apiKey` field (room for other fields beside it). */
export function parseSecret(secret: string | undefined, secretId: string): string {
  const value = secret?.trim();
  if (!value) throw new OpenAIKeyError(`the secret ${secretId} has no string value`);
  if (!value.startsWith('{')) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // The parser's message quotes the text it choked on, which is the secret.
    throw new OpenAIKeyError(`the secret ${secretId} looks like JSON but does not parse`);
  }
  const apiKey = (parsed as { apiKey?: unknown } | null)?.apiKey;
  if (typeof apiKey !== 'string' || apiKey.trim() === '')
    throw new OpenAIKeyError(`the secret ${secretId} is JSON without a string "apiKey"`);
  return apiKey.trim();
}
