import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';

/** What `npm start` tells a person once everything is up. */
export interface BannerInput {
  /** The web app's origin; the API is under `/api`. */
  readonly url: string;
  /** The Cognito endpoint the web app and `npm run users` use (the same as in local.json). */
  readonly cognitoEndpoint: string;
  readonly userPoolId: string;
  /** The database URL; its password is never printed. */
  readonly databaseUrl: string;
  /** Embedded PostgreSQL kept under the data folder, or a server the developer named. */
  readonly embeddedDatabase: boolean;
  /** `REDIS_URL` when set; otherwise the cache is an in-process map. */
  readonly redisUrl?: string;
  /**
   * The model's base URL (OPENAI_BASE_URL: a proxy's may hold a user and password, never printed)
   * and default model when a key is configured; otherwise offline.
   */
  readonly model:
    | { readonly kind: 'openai'; readonly baseUrl: string; readonly name: string }
    | { readonly kind: 'offline' };
  /** Printed once, on the first start. */
  readonly firstAdmin?: { readonly email: string; readonly password: string; readonly totpSecret?: string };
}

export interface BannerOptions {
  /** A terminal: the TOTP secret is also drawn as a QR code. Elsewhere no escape code is printed. */
  readonly terminal: boolean;
}

/** The address of a server without its credentials: `postgres://127.0.0.1:5432/parley`. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/** The `otpauth://` URI an authenticator app reads (from a QR code or pasted). */
export function otpauthUri(email: string, secret: string): string {
  return new OTPAuth.TOTP({
    issuer: 'Parley',
    label: email,
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  }).toString();
}

/**
 * One line per service, with the address a person should use, then the first admin's credentials
 * on the first start. Plain text unless `terminal` (then the TOTP URI also comes as a QR code).
 */
export async function formatBanner(input: BannerInput, options: BannerOptions): Promise<string> {
  const row = (name: string, value: string) => `  ${name.padEnd(11)} ${value}`;
  const lines = [
    '',
    `Parley is running at ${input.url}  (Ctrl-C to stop)`,
    row('Web app', input.url),
    row('API', `${input.url}/api  (OpenAPI at ${input.url}/api/openapi.json)`),
    row('Cognito', `${input.cognitoEndpoint}  (local user pool ${input.userPoolId})`),
    row(
      'PostgreSQL',
      `${withoutCredentials(input.databaseUrl)}  (${input.embeddedDatabase ? 'embedded, kept in the data folder' : 'from DATABASE_URL'})`,
    ),
    row(
      'Cache',
      input.redisUrl
        ? `${withoutCredentials(input.redisUrl)}  (from REDIS_URL)`
        : 'in memory  (set REDIS_URL to use Valkey or Redis)',
    ),
    row(
      'Model',
      input.model.kind === 'openai'
        ? `${input.model.name} at ${withoutCredentials(input.model.baseUrl)}`
        : 'offline: labelled sample replies  (set OPENAI_API_KEY for real ones)',
    ),
    '',
    "Add users with: npm run users -- create --email you@example.com --password '…' --role members",
  ];
  const admin = input.firstAdmin;
  if (admin) {
    lines.push(
      '',
      'First start: an admin was created. These credentials are shown once:',
      `  email:       ${admin.email}`,
      `  password:    ${admin.password}`,
    );
    if (admin.totpSecret) {
      const uri = otpauthUri(admin.email, admin.totpSecret);
      lines.push(
        `  TOTP secret: ${admin.totpSecret}  (add it to an authenticator app)`,
        `  TOTP URI:    ${uri}`,
      );
      if (options.terminal) lines.push(await QRCode.toString(uri, { type: 'terminal', small: true }));
    }
  }
  lines.push('');
  return lines.join('\n');
}
