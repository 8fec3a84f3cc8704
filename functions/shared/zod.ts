import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod for the Lambda functions: `zod/mini`, the functional, tree-shakeable API (a bundle carries
 * only the validators it uses, and starts about as fast as an empty module; classic zod costs
 * ~100 KB and nearly doubles cold init). Import it as `import * as z from '#shared/zod'`.
 *
 * zod/mini loads no locale, so its default messages would all read "Invalid input"; the English
 * one is loaded here so that problem responses and configuration errors keep naming what is wrong
 * ("Too small: expected string to have >=1 characters", "Unrecognized key: \"x\"").
 */
config(en());

export * from 'zod/mini';
