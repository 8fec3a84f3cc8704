import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { loggableError } from '../../functions/shared/loggable-error';

import { authoriseCall, type AdminCredentials } from './cognito-access';
import { assertStringMaps, CognitoApiError } from './cognito-api';
import { cognitoOperations, type OperationsContext } from './cognito-operations';
import { callerOriginOf, withCallerOrigin } from './cognito-origin';

export { CognitoApiError } from './cognito-api';
export type { InvokeTrigger, TriggerName } from './cognito-api';

/**
 * The front of the local Cognito: every client (SDK, Amplify, our CLI) talks to this proxy, which
 * forwards to cognito-local after filling the emulator's gaps (see COGNITO-LOCAL.md in the team's
 * shared notes) with our real rules: the PreAuthentication trigger, the password policy, disabled
 * users, real error codes, GetTokensFromRefreshToken, verified access tokens, global sign-out, the
 * pre-token-generation group override (all in cognito-operations.ts), CORS for the web origin only.
 * Only the calls the app and the users command make get through, admin calls signed with the local
 * server's credentials only (cognito-access.ts).
 */
export interface CognitoProxyContext extends Omit<OperationsContext, 'issuer'> {
  /** The proxy's URL: the token issuer domain. */
  readonly endpoint: string;
  readonly webOrigin: string;
  /** What admin calls must be signed with. */
  readonly adminCredentials: AdminCredentials;
}

/** The request headers the web app's Cognito calls send, which a preflight allows. */
export const PREFLIGHT_HEADERS = [
  'content-type',
  'x-amz-target',
  'x-amz-user-agent',
  'cache-control',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
].join(', ');
const MAX_BODY_BYTES = 1024 * 1024;

export function createCognitoProxy(ctx: CognitoProxyContext) {
  const issuer = `${ctx.endpoint}/${ctx.userPoolId}`;
  const dispatch = cognitoOperations({ ...ctx, issuer });

  function cors(req: IncomingMessage, res: ServerResponse) {
    res.setHeader('Vary', 'Origin');
    if (req.headers.origin === ctx.webOrigin) {
      res.setHeader('Access-Control-Allow-Origin', ctx.webOrigin);
      res.setHeader(
        'Access-Control-Expose-Headers',
        'x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage, date',
      );
    }
  }

  /** Passes a read (the emulator's JWKS and health check) through; a fetch follows redirects itself. */
  async function forwardRead(req: IncomingMessage, res: ServerResponse) {
    const upstream = await fetch(new URL(req.url ?? '/', ctx.emulatorUrl), { method: req.method });
    res.statusCode = upstream.status;
    const type = upstream.headers.get('content-type');
    if (type) res.setHeader('content-type', type);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      cors(req, res);
      if (req.method === 'OPTIONS') {
        if (req.headers.origin !== ctx.webOrigin) {
          res.statusCode = 403;
          res.end();
          return;
        }
        res.statusCode = 204;
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', PREFLIGHT_HEADERS);
        res.setHeader('Access-Control-Max-Age', '600');
        res.end();
        return;
      }
      const path = new URL(req.url ?? '/', ctx.endpoint).pathname;
      if (req.method === 'GET' && path === `/${ctx.userPoolId}/.well-known/openid-configuration`) {
        send(
          res,
          200,
          {
            issuer,
            jwks_uri: `${issuer}/.well-known/jwks.json`,
            token_endpoint: `${ctx.endpoint}/oauth2/token`,
            authorization_endpoint: `${ctx.endpoint}/oauth2/authorize`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          },
          'application/json',
        );
        return;
      }
      const body = await readBody(req);
      const target = req.headers['x-amz-target'];
      if (req.method === 'GET' || req.method === 'HEAD') {
        await forwardRead(req, res);
        return;
      }
      if (req.method !== 'POST' || path !== '/' || typeof target !== 'string') {
        throw new CognitoApiError('UnknownOperationException', 'Unknown operation.');
      }
      const op = target.split('.')[1] ?? '';
      await authoriseCall(op, req, body, ctx.adminCredentials);
      let json: unknown;
      try {
        json = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        throw new CognitoApiError('SerializationException', 'The request body is not valid JSON.');
      }
      assertStringMaps(json);
      send(res, 200, await withCallerOrigin(callerOriginOf(req, json), () => dispatch(op, json)));
    } catch (error) {
      answerFailure(res, error);
    }
  };
}

/**
 * Answers what a request to the proxy failed with: a CognitoApiError as Cognito would, anything
 * else as an internal error whose details stay in the local server's log. Never throws: it runs
 * where nothing would catch it, and one request must not bring the whole local stack down. When
 * the answer has already begun there is no status left to give, so the connection is cut.
 */
export function answerFailure(res: ServerResponse, error: unknown): void {
  // The id the answer's x-amzn-requestid gives, so that a client's failure can be found in the log.
  const requestId = randomUUID();
  let known = error instanceof CognitoApiError ? error : undefined;
  if (!known) {
    // Our bug, not the caller's: it stays in the local server's log, written as the API's log
    // lines write an error (no fields a dependency attached: a request's body with its password).
    console.error('Local Cognito endpoint error', { requestId, error: loggableError(error) });
    known = new CognitoApiError('InternalErrorException', 'Internal error', 500);
  }
  try {
    if (res.headersSent) res.destroy();
    else sendError(res, known, requestId);
  } catch (failure) {
    console.error('Local Cognito endpoint error', { requestId, error: loggableError(failure) });
    res.destroy();
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/x-amz-json-1.1',
  requestId: string = randomUUID(),
) {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('x-amzn-requestid', requestId);
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: CognitoApiError, requestId: string) {
  res.setHeader('x-amzn-errortype', headerSafe(`${error.type}:`));
  res.setHeader('x-amzn-errormessage', headerSafe(error.message));
  send(res, error.status, { __type: error.type, message: error.message }, undefined, requestId);
}

/**
 * `text` as a header value: messages can repeat what the caller sent (a JSON key, an app client
 * id), and a header may carry no line break or character above U+00FF (Node throws). Anything
 * but printable ASCII becomes `?`; the body keeps the message whole.
 */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, '?');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new CognitoApiError('InvalidParameterException', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
