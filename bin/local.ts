import * as z from 'zod';
import { startDevServer } from './local/dev-server';

/** `npm start`: the whole app on this machine. */
const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    COGNITO_PORT: z.coerce.number().int().min(0).max(65535).default(9229),
    /** Where local state lives (database, emulator data, local.json). */
    PARLEY_DATA_DIR: z.string().min(1).default('.parley'),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(1);
}

const server = await startDevServer({
  port: env.data.PORT,
  cognitoPort: env.data.COGNITO_PORT,
  dataDir: env.data.PARLEY_DATA_DIR,
}).catch((error: unknown) => {
  console.error(`Parley did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
console.log(`\nParley is running at ${server.url}  (API at ${server.url}/api, Ctrl-C to stop)`);
console.log(
  `Create users with: npm run users -- create --email you@example.com --password '…' --role members\n`,
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await server.stop();
  console.log('Stopped cleanly.');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
