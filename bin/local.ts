import { npmStart } from './local/npm-start';

/** `npm start`: the whole app on this machine (see local/npm-start.ts). */
await npmStart(process.env, {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  terminal: process.stdout.isTTY === true,
  exit: (code) => process.exit(code),
  onSignal: (signal, listener) => process.on(signal, listener),
});
