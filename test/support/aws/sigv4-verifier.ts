import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * For the loopback AWS fakes: checks a request's SigV4 signature as AWS does, recomputing it with
 * the AWS SDK's own signer (@smithy/signature-v4) for the keys given. Each service refuses in its
 * own words and statuses (the Data API with 403s, awsJson1.1 APIs with 400s), so the fake passes
 * those in `rules`; the checks and their order are the same.
 */

export interface SigningKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface Refusal {
  readonly status: number;
  readonly errorType: string;
  readonly message: string;
}

export interface Sigv4Rules {
  /** The Authorization header as the service parses it (groups: key id, day, region, service, signed headers, signature). */
  readonly authorization: RegExp;
  /** The status of every refusal but `missing` and `hashMismatch`, which carry their own. */
  readonly status: number;
  /** No Authorization header, or one that does not parse. */
  readonly missing: Refusal;
  /** The message for an x-amz-date that is absent or not of the credential's day. */
  readonly dateMessage: string;
  /** x-amz-content-sha256 that is not the body's hash. */
  readonly hashMismatch: Refusal;
  /** Headers that must be among the signed ones. */
  readonly mustSign: readonly string[];
}

/** Why a request's signature is refused, or undefined when it is good. */
export async function signatureRefusal(
  req: IncomingMessage,
  body: string,
  keys: SigningKeys,
  region: string,
  service: string,
  rules: Sigv4Rules,
): Promise<Refusal | undefined> {
  const refuse = (errorType: string, message: string): Refusal => ({
    status: rules.status,
    errorType,
    message,
  });
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? rules.authorization.exec(header) : null;
  if (!match) return rules.missing;
  const [, keyId, day, signedRegion, signedService, signedHeaders = '', signature] = match;
  const invalidToken = refuse(
    'UnrecognizedClientException',
    'The security token included in the request is invalid.',
  );
  if (keyId !== keys.accessKeyId) return invalidToken;
  if (keys.sessionToken !== undefined && req.headers['x-amz-security-token'] !== keys.sessionToken)
    return invalidToken;
  if (signedRegion !== region || signedService !== service)
    return refuse('InvalidSignatureException', `Credential should be scoped to ${region}/${service}`);
  const amzDate = req.headers['x-amz-date'];
  const date =
    typeof amzDate === 'string' ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (!date || `${date[1]}${date[2]}${date[3]}` !== day)
    return refuse('IncompleteSignatureException', rules.dateMessage);
  const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
  if (Math.abs(signingDate.getTime() - Date.now()) > 5 * 60_000)
    return refuse('InvalidSignatureException', 'Signature expired');
  // The signer below takes a declared payload hash as it is: check it against the body here.
  const declaredHash = req.headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(body, 'utf8').digest('hex'))
    return rules.hashMismatch;
  const names = signedHeaders.split(';');
  for (const required of rules.mustSign)
    if (!names.includes(required)) return refuse('InvalidSignatureException', `${required} must be signed`);
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) return refuse('InvalidSignatureException', `Signed header ${name} is missing`);
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const signer = new SignatureV4({
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    region,
    service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers,
      body,
    },
    { signingDate, signableHeaders: new Set(names) },
  );
  const expected = /SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})/.exec(
    String(signed.headers.authorization),
  );
  if (expected?.[2] !== signature || expected?.[1] !== signedHeaders)
    return refuse(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    );
  return undefined;
}

/** A loopback AWS API of the tests: its URL, and `close`, which cuts kept-alive connections. */
export interface LoopbackApi {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server of a test AWS API on 127.0.0.1 at a free port: each request's whole body
 * goes to `handle` as text; a failure of `handle` is answered by `fail`.
 */
export async function startLoopbackApi(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>,
  fail: (res: ServerResponse, error: unknown) => void,
): Promise<LoopbackApi> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => fail(res, error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Clients keep connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
