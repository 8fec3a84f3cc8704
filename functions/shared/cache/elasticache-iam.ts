import { createHash, createHmac } from 'node:crypto';

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

/** SHA-256 of an empty body: the presigned request has none. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding, as SigV4 canonical query strings want it. */
const escape = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * An ElastiCache IAM authentication token: a SigV4-presigned `connect` request to the cache
 * (without its scheme), sent as the AUTH password. Serverless caches add `ResourceType=ServerlessCache`.
 * Signed with node:crypto (the SDK's signer would cost every bundle ~20 KB); the tests check it
 * against @smithy/signature-v4's presign, byte for byte.
 */
export async function elasticacheIamToken(input: IamTokenInput): Promise<string> {
  const credentials = await input.credentials();
  const host = input.cacheName.toLowerCase();
  const amzDate = (input.now ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
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
    .map(([key, value]) => [escape(key), escape(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', EMPTY_SHA256].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), input.region), 'elasticache'),
    'aws4_request',
  );
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  const pairs = [...query, ['X-Amz-Signature', signature]]
    .map(([name, value]) => `${encodeURIComponent(name ?? '')}=${encodeURIComponent(value ?? '')}`)
    .join('&');
  return `${host}/?${pairs}`;
}
