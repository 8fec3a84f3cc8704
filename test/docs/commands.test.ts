import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What a newcomer copies from the README and the docs exists: every `npm run <script>` is a script
 * of package.json, every environment variable the README and docs/troubleshooting.md name is read
 * somewhere in the code, and every repository path they name in a code span is there.
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
/** The pages a person running Parley on a laptop reads first. */
const localPages = ['README.md', 'docs/troubleshooting.md'];
/** Upper-case names these pages give that are constants of the code, not variables. */
const CODE_CONSTANTS = ['WRITTEN_TEXT_ROUTE_REGEX'];

/** The scripts `npm run …` commands in `markdown` name. */
function npmRunScripts(markdown: string): string[] {
  return [...markdown.matchAll(/\bnpm run(?: -s)? ([a-z0-9][\w:.-]*)/g)].map((m) => m[1] ?? '');
}

/**
 * The environment variables `markdown` names: upper-case names with an underscore in a code span
 * (`PORT` too), outside fenced blocks, whose shell variables are the script's own. A name written
 * as a family (`CHAT_QUOTA_<ROLE>`, `SMOKE_*`) is kept as its prefix, ending in `_`.
 */
function environmentVariables(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const names = new Set<string>();
  for (const [, span = ''] of prose.matchAll(/`([^`\n]+)`/g))
    for (const [, name = '', family] of span.matchAll(
      /(?<![\w$.-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_?)(<[A-Z]+>|\*)?/g,
    )) {
      if (family && name.endsWith('_')) names.add(name);
      else if (!name.endsWith('_') && (name.includes('_') || name === 'PORT')) names.add(name);
    }
  return [...names];
}

/** Source files of the code (not tests, not docs) that may read the environment. */
function sourceFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${entry}`;
    if (entry === 'node_modules' || entry === 'dist' || entry === 'cdk.out') continue;
    if (statSync(join(ROOT, path)).isDirectory()) sourceFiles(path, found);
    else if (/\.(ts|tsx|js|mjs|sh)$/.test(entry) || dir === '.ci') found.push(path);
  }
  return found;
}

/** Whether `source` reads `name` from the environment (or, for a family prefix, one of it). */
function readsVariable(source: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const word = name.endsWith('_') ? `${escaped}[A-Z0-9_]*[A-Z0-9]\\b` : `${escaped}\\b`;
  return new RegExp(
    [
      `env(?:\\.|\\[['"\`])${word}`, // process.env.NAME, env['NAME']
      `^\\s*${word}\\??:`, // a key of a configuration schema
      `['"\`]${word}`, // a name handed to a reader (destructured, listed, prefixed)
      `\\$\\{?${word}`, // a shell script's variable
    ].join('|'),
    'm',
  ).test(source);
}

describe('the README and docs', () => {
  const scripts = Object.keys(
    (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
  );

  it('name only npm scripts that package.json has', () => {
    // Prepare / Act
    const named = docs.flatMap((page) => npmRunScripts(read(page)).map((script) => ({ page, script })));

    // Assess: `npm run users`, `npm run test:e2e`, … are all there.
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter(({ script }) => !scripts.includes(script))).toEqual([]);
  });

  it('name, for the local stack, only environment variables the code reads', () => {
    // Prepare: every source file of the product, its local tooling, CI scripts and test support.
    const sources = [
      ...['functions', 'bin', 'lib', 'web/src', 'bench', '.ci', 'test/support', 'test/e2e']
        .filter((dir) => existsSync(join(ROOT, dir)))
        .flatMap((dir) => sourceFiles(dir))
        .filter((path) => !/\.test\.ts$/.test(path) || path.startsWith('test/e2e/support')),
      ...readdirSync(ROOT).filter((f) => /^vitest.*\.config\.ts$/.test(f)),
    ].map((path) => read(path));

    // Act
    const named = localPages.flatMap((page) =>
      environmentVariables(read(page))
        .filter((name) => !CODE_CONSTANTS.includes(name))
        .map((name) => ({ page, name })),
    );

    // Assess
    expect(named.map(({ name }) => name)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'PORT', 'COGNITO_PORT', 'PARLEY_DATA_DIR']),
    );
    expect(named.filter(({ name }) => !sources.some((source) => readsVariable(source, name)))).toEqual([]);
  });

  it('name only repository paths that exist', () => {
    // Prepare: code spans that are paths into the repository (not URLs, routes or placeholders;
    // `.parley/` and `web/dist` are made by `npm start` and the build, and git-ignored).
    const top = /^(\.ci|\.github|bin|docs|functions|lib|migrations|test|web\/src|web\/[\w.-]+\.ts)(\/|$)/;

    // Act
    const named = localPages.flatMap((page) =>
      [...read(page).matchAll(/`([\w./-]+)`/g)]
        .map((m) => m[1] ?? '')
        .filter((path) => top.test(path))
        .map((path) => ({ page, path })),
    );

    // Assess
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter(({ path }) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});

describe('reading the docs for names', () => {
  it('finds npm scripts, with or without -s', () => {
    expect(npmRunScripts('`npm run users -- create`, npm run -s test:e2e and `npm start`')).toEqual([
      'users',
      'test:e2e',
    ]);
  });

  it('finds variables in code spans, families as prefixes, and skips fenced blocks', () => {
    const markdown = [
      'Set `PORT=3100 COGNITO_PORT=9300 npm start`, or `CHAT_QUOTA_<ROLE>`; `SMOKE_*` variables;',
      'the `otpauth://` URI, `EADDRINUSE`, `$HOME/x`.',
      '```bash',
      'BACKUP_DAYS=7 aws rds …',
      '```',
    ].join('\n');
    expect(environmentVariables(markdown)).toEqual(['PORT', 'COGNITO_PORT', 'CHAT_QUOTA_', 'SMOKE_']);
  });

  it('tells a variable the code reads from one it only mentions', () => {
    expect(readsVariable('const port = process.env.PORT;', 'PORT')).toBe(true);
    expect(readsVariable('  REDIS_URL: z.optional(z.url()),', 'REDIS_URL')).toBe(true);
    expect(readsVariable("const { SMOKE_BASE_URL } = pick(env, 'SMOKE_BASE_URL');", 'SMOKE_')).toBe(true);
    expect(readsVariable('if [ -n "${PARLEY_AUDIT:-}" ]; then', 'PARLEY_AUDIT')).toBe(true);
    expect(readsVariable('const url = process.env.REDIS_URL_OLD;', 'REDIS_URL')).toBe(false);
    expect(readsVariable('// set OPENAI_KEY to chat', 'OPENAI_KEY')).toBe(false);
  });
});
