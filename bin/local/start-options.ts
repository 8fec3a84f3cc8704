import * as z from 'zod';

export interface StartOptions {
  readonly port: number;
  readonly cognitoPort: number;
  readonly dataDir: string;
  /** The retention run at start and daily, as the deployed schedule does (`npm start` always). */
  readonly retention: true;
  /** IDLE_SIGN_OUT_MINUTES: the web app signs out after this long without activity (0: never). */
  readonly idleSignOutMinutes: number;
}

const port = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw);
      if (/^\d+$/.test(raw.trim()) && value <= 65535) return value;
      ctx.addIssue({
        code: 'custom',
        // Ports are not secrets: the value helps, unlike in the functions' configuration.
        message: `${name} must be a port number (1–65535, or 0 for any free port), got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    });

const idleMinutes = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === '') return 30;
    const value = Number(raw);
    if (/^\d+$/.test(raw.trim()) && (value === 0 || (value >= 5 && value <= 720))) return value;
    ctx.addIssue({
      code: 'custom',
      message: `IDLE_SIGN_OUT_MINUTES must be 0 (never) or whole minutes from 5 to 720, got ${JSON.stringify(raw)}`,
    });
    return z.NEVER;
  });

/**
 * DATABASE_URL, when set, is a PostgreSQL URL (as the functions' configuration requires): checked
 * before anything starts, so a malformed one is named rather than reported as what the driver made
 * of it. Empty is unset (the embedded PostgreSQL). Its value is never shown: it may hold a password.
 */
const databaseUrl = z
  .string()
  .optional()
  .refine((raw) => !raw || (/^postgres(ql)?:\/\//.test(raw) && URL.canParse(raw)), {
    message:
      'DATABASE_URL must be a postgres:// URL, or unset for the embedded PostgreSQL (its value is not shown: it may hold a password)',
  });

const schema = z.object({
  PORT: port('PORT', 3000),
  COGNITO_PORT: port('COGNITO_PORT', 9229),
  PARLEY_DATA_DIR: z
    .string()
    .optional()
    .transform((raw) => (raw && raw.trim() ? raw : '.parley')),
  IDLE_SIGN_OUT_MINUTES: idleMinutes,
  DATABASE_URL: databaseUrl,
});

/** `npm start`'s settings from the environment, or one plain sentence per bad variable. */
export function parseStartOptions(
  env: Record<string, string | undefined>,
): { ok: true; options: StartOptions } | { ok: false; problems: string[] } {
  const result = schema.safeParse(env);
  if (!result.success) return { ok: false, problems: result.error.issues.map((issue) => issue.message) };
  return {
    ok: true,
    options: {
      port: result.data.PORT,
      cognitoPort: result.data.COGNITO_PORT,
      dataDir: result.data.PARLEY_DATA_DIR,
      retention: true,
      idleSignOutMinutes: result.data.IDLE_SIGN_OUT_MINUTES,
    },
  };
}
