import { passwordPolicyViolations } from '../../functions/auth/domain/password-policy';

/**
 * The Cognito API as the local proxy speaks it: its errors, calls to cognito-local behind it, and
 * the request rules real Cognito applies that the emulator does not (see COGNITO-LOCAL.md in the
 * team's shared notes).
 */
export type Json = Record<string, unknown>;

export type TriggerName =
  'PreAuthentication' | 'PostAuthentication' | 'PostConfirmation' | 'PreTokenGeneration';
export type InvokeTrigger = (name: TriggerName, event: unknown) => Promise<unknown>;

/** A Cognito error, answered as the real service does (400, `__type`, `x-amzn-errortype`). */
export class CognitoApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'CognitoApiError';
  }
}

export const WRONG_CREDENTIALS = 'Incorrect username or password.';

/** What Cognito would have e-mailed: an invitation's temporary password, or a password-reset code. */
export interface LocalMail {
  readonly kind: 'invitation' | 'reset-code';
  readonly email: string;
  readonly secret: string;
}

/** Where the local stack puts that mail instead (it sends none). */
export type MailSink = (mail: LocalMail) => void;

export interface EmulatorUser {
  readonly Username: string;
  readonly Enabled: boolean;
  readonly UserStatus?: string;
  readonly UserAttributes?: { Name: string; Value?: string }[];
  readonly UserMFASettingList?: string[];
  /** When the user last changed (an invitation sets the temporary password then). */
  readonly UserLastModifiedDate?: number | string;
}

export interface EmulatorApi {
  /** One Cognito operation on cognito-local; its errors become CognitoApiErrors. */
  call(op: string, body: Json): Promise<Json>;
  /** The user, or null when there is none (or no user name). */
  getUser(username: unknown): Promise<EmulatorUser | null>;
  userOrThrow(username: unknown): Promise<EmulatorUser>;
}

export function emulatorApi(emulatorUrl: string, userPoolId: string): EmulatorApi {
  async function call(op: string, body: Json): Promise<Json> {
    const response = await fetch(emulatorUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${op}`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    // The emulator's body limit: a client's error (an oversized name or password), not ours.
    if (response.status === 413)
      throw new CognitoApiError('InvalidParameterException', 'The request is too large.');
    let json: Json;
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      throw new CognitoApiError('InternalErrorException', `cognito-local answered ${response.status}`, 500);
    }
    if (response.ok) return json;
    const type = typeof json.__type === 'string' ? json.__type : 'InternalErrorException';
    const message =
      typeof json.message === 'string' ? json.message : `cognito-local answered ${response.status}`;
    // A feature the emulator lacks (SRP sign-in, custom auth) is what the client asked for, not a
    // failure of ours: a 400, as AWS answers a flow the app client may not use.
    if (type === 'CognitoLocal#Unsupported')
      throw new CognitoApiError('InvalidParameterException', `Not supported by the local stack: ${message}`);
    throw new CognitoApiError(type, message, response.status >= 500 ? 500 : 400);
  }

  async function getUser(username: unknown): Promise<EmulatorUser | null> {
    if (typeof username !== 'string' || !username) return null;
    try {
      const user = (await call('AdminGetUser', {
        UserPoolId: userPoolId,
        Username: username,
      })) as unknown as EmulatorUser;
      // The emulator keeps users in a plain object: `__proto__` or `toString` finds a prototype's
      // member there, not a user ("User is disabled." would tell the world a thing it is not).
      return typeof user.Username === 'string' && user.Username !== '' ? user : null;
    } catch (error) {
      if (error instanceof CognitoApiError && error.type === 'UserNotFoundException') return null;
      throw error;
    }
  }

  async function userOrThrow(username: unknown): Promise<EmulatorUser> {
    const user = await getUser(username);
    if (!user) throw new CognitoApiError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  return { call, getUser, userOrThrow };
}

export const attributesOf = (user: EmulatorUser | null): Record<string, string> =>
  Object.fromEntries((user?.UserAttributes ?? []).map((a) => [a.Name, a.Value ?? '']));

/** The request fields that are maps of strings in Cognito's API (`map<string, string>`). */
const STRING_MAPS = ['AuthParameters', 'ChallengeResponses', 'ClientMetadata'] as const;

/**
 * Refuses, as Cognito's JSON layer does, a string map that is no object or holds a value that is
 * no string (a number, a boolean, a list, an object): a `SerializationException` naming the field,
 * before any operation, as for a body that is no JSON object. A null value is left to the
 * operation, as a missing one.
 */
export function assertStringMaps(request: unknown): asserts request is Json {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new CognitoApiError('SerializationException', 'The request body is not a JSON object.');
  for (const field of STRING_MAPS) {
    if (!Object.hasOwn(request, field)) continue;
    const map = (request as Json)[field];
    if (map === null || map === undefined) continue;
    if (typeof map !== 'object' || Array.isArray(map))
      throw new CognitoApiError('SerializationException', `${field} must be a map of strings.`);
    for (const [key, value] of Object.entries(map as Json)) {
      if (value !== null && typeof value !== 'string')
        throw new CognitoApiError('SerializationException', `${field}.${key} must be a string.`);
    }
  }
}

/**
 * What each sign-in flow requires in `AuthParameters` (InitiateAuth and AdminInitiateAuth, as the
 * Cognito API reference lists them). SECRET_HASH is left out: no app client here has a secret.
 */
const REQUIRED_AUTH_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  USER_SRP_AUTH: ['USERNAME', 'SRP_A'],
  USER_PASSWORD_AUTH: ['USERNAME', 'PASSWORD'],
  ADMIN_USER_PASSWORD_AUTH: ['USERNAME', 'PASSWORD'],
  ADMIN_NO_SRP_AUTH: ['USERNAME', 'PASSWORD'],
  REFRESH_TOKEN_AUTH: ['REFRESH_TOKEN'],
  REFRESH_TOKEN: ['REFRESH_TOKEN'],
  CUSTOM_AUTH: ['USERNAME'],
};

/**
 * Refuses a sign-in whose flow misses a parameter it requires, absent or null, as Cognito does:
 * `InvalidParameterException: Missing required parameter USERNAME`, before any trigger runs. The
 * emulator answered "User not authorized" instead, an answer about credentials. With no
 * `AuthParameters` at all, or a flow it does not know, the request is left to the emulator.
 * Expects `assertStringMaps` to have run (`AuthParameters` is an object, null or absent).
 */
export function assertAuthParameters(body: Json): void {
  const flow = body.AuthFlow;
  const params = body.AuthParameters as Json | null | undefined;
  if (typeof flow !== 'string' || !Object.hasOwn(REQUIRED_AUTH_PARAMETERS, flow) || !params) return;
  assertPresent(params, REQUIRED_AUTH_PARAMETERS[flow] ?? []);
}

/** Cognito's answer to a string map missing one of `names` (absent or null), in their order. */
function assertPresent(map: Json, names: readonly string[]): void {
  for (const name of names) {
    if (!Object.hasOwn(map, name) || map[name] === null || map[name] === undefined)
      throw new CognitoApiError('InvalidParameterException', `Missing required parameter ${name}`);
  }
}

/**
 * Refuses an answer to a sign-in challenge whose `ChallengeResponses` lack `USERNAME`, absent or
 * null, as Cognito does: every challenge requires it (the API reference's ChallengeNameType), and
 * Cognito answers `InvalidParameterException: Missing required parameter USERNAME`. The emulator
 * path answered "Invalid session for the user, session is expired.", which reads as an expired
 * sign-in. With no `ChallengeResponses` at all the request is left to the session check. Expects
 * `assertStringMaps` to have run (`ChallengeResponses` is an object, null or absent).
 */
export function assertChallengeResponses(body: Json): void {
  const responses = body.ChallengeResponses as Json | null | undefined;
  if (responses) assertPresent(responses, ['USERNAME']);
}

/** E-mail user names are case-insensitive in Cognito; the emulator compares them exactly. */
export function normaliseUsername(value: unknown): unknown {
  return typeof value === 'string' && value.includes('@') ? value.trim().toLowerCase() : value;
}

export function assertPasswordPolicy(password: unknown): void {
  if (typeof password !== 'string') return;
  const problems = passwordPolicyViolations(password);
  if (problems.length > 0) {
    throw new CognitoApiError(
      'InvalidPasswordException',
      `Password does not conform to policy: ${problems.join('. ')}`,
    );
  }
}
