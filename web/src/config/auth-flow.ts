import type { RuntimeConfig } from '@/config/env';

/** How the web app hands the password to Cognito at sign-in. */
export type SignInAuthFlow = 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH';

/**
 * On AWS (no custom Cognito endpoint) the password never leaves the browser: Secure Remote
 * Password, the only sign-in flow the web app client allows there. Locally the Cognito emulator has
 * no SRP, so the app sends the password itself (USER_PASSWORD_AUTH), which the local client allows.
 */
export function signInAuthFlow(config: Pick<RuntimeConfig, 'cognitoEndpoint'>): SignInAuthFlow {
  return config.cognitoEndpoint ? 'USER_PASSWORD_AUTH' : 'USER_SRP_AUTH';
}
