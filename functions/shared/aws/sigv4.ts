import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for a JSON request to an AWS API (a path without query string, a body
 * in one string), with node:crypto: what the Data API client needs, and no more. The SDK's
 * signer (@smithy/signature-v4) costs every Lambda bundle 20 KB and its load time; the tests
 * check this one against it.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignInput {
  readonly method: string;
  readonly url: URL;
  /** Headers to sign besides host, x-amz-date, x-amz-content-sha256 and x-amz-security-token. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** The signing name, e.g. 'rds-data'. */
  readonly service: string;
  /** @default new Date() */
  readonly date?: Date;
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding of one path segment, as SigV4 wants it (every byte but unreserved ones). */
const encodeSegment = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The signing key for a day, region and service; it changes once a day, so it is kept. */
let cachedKey: { id: string; key: Buffer } | undefined;
function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const id = `${day}/${region}/${service}/${secretAccessKey}`;
  if (cachedKey?.id !== id) {
    const kDate = hmac(`AWS4${secretAccessKey}`, day);
    cachedKey = { id, key: hmac(hmac(hmac(kDate, region), service), 'aws4_request') };
  }
  return cachedKey.key;
}

/**
 * The headers to send: `input.headers` plus host, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token (with a session token) and authorization. Header names come out in lower
 * case; values are trimmed with inner runs of spaces folded, as the canonical request has them.
 */
export function signRequest(input: SignInput): Record<string, string> {
  const date = input.date ?? new Date();
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(input.body);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers))
    headers[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
  headers.host = input.url.host;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;

  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method,
    input.url.pathname.split('/').map(encodeSegment).join('/') || '/',
    '', // no query string
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac(
    'sha256',
    signingKey(input.credentials.secretAccessKey, day, input.region, input.service),
  )
    .update(stringToSign, 'utf8')
    .digest('hex');

  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
