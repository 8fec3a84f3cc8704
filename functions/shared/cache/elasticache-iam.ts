import { amzDateOf, encodeRfc3986, sha256Hex, signCanonical } from '../aws/sigv4';

export interface IamTokenInput {
  /** The serverless cache's name (lower-cased by AWS in the signed host). */
  readonly cacheName: string;
  /** The ElastiCache user id the function connects as. */
  readonly user: string;
  readonly region: string;
  readonly credentials: () => Promise<{
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  }>;
  /** For tests: the signing time. */
  readonly now?: Date;
}

/** ElastiCache accepts a token for 15 minutes; connections it opened stay authenticated longer. */
export const IAM_TOKEN_TTL_SECONDS = 900;

/**
 * An ElastiCache IAM authentication token: a SigV4-presigned `connect` request to the cache
 * (without its scheme), sent as the AUTH password. Serverless caches add `ResourceType=ServerlessCache`.
 * Signed with node:crypto (the SDK's signer would cost every bundle ~20 KB); the tests check it
 * against @smithy/signature-v4's presign, byte for byte.
 */
export async function elasticacheIamToken(input: IamTokenInput): Promise<string> {
  const credentials = await input.credentials();
  const host = input.cacheName.toLowerCase();
  const amzDate = amzDateOf(input.now ?? new Date());
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/elasticache/aws4_request`;
  const query: [string, string][] = [
    ['Action', 'connect'],
    ['User', input.user],
    ['ResourceType', 'ServerlessCache'],
    ...(credentials.sessionToken
      ? [['X-Amz-Security-Token', credentials.sessionToken] as [string, string]]
      : []),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(IAM_TOKEN_TTL_SECONDS)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const canonicalQuery = query
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)] as const)
    // The names are distinct: no two compare equal.
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  // The presigned request has no body: its payload hash is the empty string's.
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', sha256Hex('')].join('\n');
  const signature = signCanonical({
    canonicalRequest,
    amzDate,
    scope,
    secretAccessKey: credentials.secretAccessKey,
    region: input.region,
    service: 'elasticache',
  });
  const pairs = [...query, ['X-Amz-Signature', signature] as [string, string]]
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  return `${host}/?${pairs}`;
}
