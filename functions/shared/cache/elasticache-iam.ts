import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

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
 */
export async function elasticacheIamToken(input: IamTokenInput): Promise<string> {
  const signer = new SignatureV4({
    service: 'elasticache',
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
  });
  const host = input.cacheName.toLowerCase();
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      headers: { host },
      query: { Action: 'connect', User: input.user, ResourceType: 'ServerlessCache' },
    },
    { expiresIn: IAM_TOKEN_TTL_SECONDS, signingDate: input.now },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `${host}/?${query}`;
}
