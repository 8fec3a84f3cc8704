/**
 * Imported first by every bench entry point: Powertools reads these when its modules load, so
 * they must be set before any handler module is imported (metrics and logs would else flood
 * the figures). It also keeps the caller's DATABASE_URL and REDIS_URL, which the sections that
 * configure handlers overwrite in process.env.
 */
export const callerEnv = {
  DATABASE_URL: process.env.DATABASE_URL,
  REDIS_URL: process.env.REDIS_URL,
} as const;

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
