import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for a JSON request to an AWS API (a path without query string, a body
 * in one string), with node:crypto: what our AWS clients (data-api-client.ts, aws-json-client.ts)
 * need, and no more. The SDK's
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

/** Hex SHA-256 of a UTF-8 string. */
export const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding (every byte but unreserved ones), as SigV4 wants path segments and query parts. */
export const encodeRfc3986 = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4's timestamp, e.g. 20261201T102233Z; its first eight characters are the day. */
export function amzDateOf(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The signature of a canonical request: hex HMAC of the string to sign with the day's key. */
export function signCanonical(input: {
  readonly canonicalRequest: string;
  readonly amzDate: string;
  readonly scope: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}): string {
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    input.amzDate,
    input.scope,
    sha256Hex(input.canonicalRequest),
  ].join('\n');
  return createHmac(
    'sha256',
    signingKey(input.secretAccessKey, input.amzDate.slice(0, 8), input.region, input.service),
  )
    .update(stringToSign, 'utf8')
    .digest('hex');
}

/** The signing key for a day, region and service; it changes once a day, so it is kept. */
let cachedKey: { id: string; key: Buffer } | undefined;
export function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
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
  const amzDate = amzDateOf(input.date ?? new Date());
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
    // An http(s) URL's path is never empty: '/' at least.
    input.url.pathname.split('/').map(encodeRfc3986).join('/'),
    '', // no query string
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const signature = signCanonical({
    canonicalRequest,
    amzDate,
    scope,
    secretAccessKey: input.credentials.secretAccessKey,
    region: input.region,
    service: input.service,
  });

  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
