import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildOpenApiDocument } from '../functions/api/openapi';

/**
 * `npm run docs:openapi`: writes the OpenAPI document (`buildOpenApiDocument`, from the route
 * declarations and their zod schemas) to functions/api/openapi.json, which the health function
 * serves as it is: building it at start-up took zod's JSON Schema converter and every group's
 * route table into that function. `functions/api/openapi.test.ts` fails when the file and the
 * routes differ.
 */

export const OPENAPI_FILE = join(import.meta.dirname, '..', 'functions/api/openapi.json');

/** The file's text: the document, two-space indented, with a final newline. */
export function openApiText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = openApiText();
  const before = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
  if (before === text) console.log('functions/api/openapi.json: up to date');
  else {
    await writeFile(OPENAPI_FILE, text);
    console.log('functions/api/openapi.json: written');
  }
}
