import { formatBanner } from './local/banner';
import { startDevServer } from './local/dev-server';
import { parseStartOptions } from './local/start-options';

/** `npm start`: the whole app on this machine. */
const parsed = parseStartOptions(process.env);
if (!parsed.ok) {
  for (const problem of parsed.problems) console.error(problem);
  process.exit(1);
}

const server = await startDevServer(parsed.options).catch((error: unknown) => {
  console.error(`Parley did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
console.log(await formatBanner(server.banner, { terminal: process.stdout.isTTY === true }));

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
