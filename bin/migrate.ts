/** `npm run migrate`: see migrate-cli.ts. Exit code 0 done, 1 failed. */
import { migrate } from './migrate-cli';

process.exitCode = await migrate(process.env);
