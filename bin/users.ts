/**
 * `npm run users -- create --email E --password P --role admins|members|auditors [--name N]`
 *
 * Creates a user in the running local server (`npm start`), which it finds through
 * `local.json` in its data folder (`PARLEY_DATA_DIR`, default `.parley`). Prints `{id,email,role}` as JSON (plus `totpSecret` for admins).
 * Exit codes: 0 done, 1 failed (e.g. local server not running, duplicate e-mail), 2 bad arguments.
 */
import { main } from './local/users-cli';

process.exitCode = await main(process.argv.slice(2));
