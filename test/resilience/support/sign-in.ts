import { Secret, TOTP } from 'otpauth';

/** Calls the local Cognito endpoint as the browser does (JSON 1.1, unsigned). */
export async function cognitoCall(
  endpoint: string,
  operation: string,
  body: unknown,
): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the caller judges the text.
  }
  return { status: response.status, text, body: parsed };
}

const code = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate();

/**
 * Signs a user in with a password and returns the access token, setting TOTP up on the way when
 * the pool asks for it (MFA_SETUP), or answering SOFTWARE_TOKEN_MFA with `totpSecret`.
 */
export async function signInForToken(
  endpoint: string,
  clientId: string,
  email: string,
  password: string,
  totpSecret?: string,
): Promise<string> {
  const call = async (operation: string, body: unknown) => {
    const answer = await cognitoCall(endpoint, operation, body);
    if (answer.status !== 200) throw new Error(`${operation}: ${answer.status} ${answer.text.slice(0, 200)}`);
    return answer.body as {
      AuthenticationResult?: { AccessToken?: string };
      ChallengeName?: string;
      Session?: string;
      SecretCode?: string;
    };
  };
  const first = await call('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  let done = first;
  if (first.ChallengeName === 'MFA_SETUP') {
    const associated = await call('AssociateSoftwareToken', { Session: first.Session });
    const verified = await call('VerifySoftwareToken', {
      Session: associated.Session,
      UserCode: code(associated.SecretCode ?? ''),
    });
    done = await call('RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.Session,
      ChallengeResponses: { USERNAME: email },
    });
  } else if (first.ChallengeName === 'SOFTWARE_TOKEN_MFA' && totpSecret) {
    done = await call('RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: first.Session,
      ChallengeResponses: { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: code(totpSecret) },
    });
  }
  const token = done.AuthenticationResult?.AccessToken;
  if (!token) throw new Error(`${email}: sign-in ended with ${done.ChallengeName ?? 'no tokens'}`);
  return token;
}
