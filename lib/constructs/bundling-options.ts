import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda function is bundled: one list of esbuild options, read by the CDK construct
 * (`AppFunction`, through `NodejsFunction`'s bundling props), by `npm run bench` and by the bundle
 * test (through `esbuildOptions`, the same flags `NodejsFunction` passes to esbuild). Neither can
 * drift from the other. No aws-cdk-lib import here: the bench and the test stay fast.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node24',
  /** ESM (`OutputFormat.ESM`): the bundle is `index.mjs`. */
  format: 'esm',
  mainFields: ['module', 'main'],
  // Some CommonJS dependencies call require(); ESM bundles have none, so make one.
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  // Bundle the AWS SDK too: the version we test is the version we run.
  externalModules: [] as string[],
  /**
   * Build-time constants (values are JSON). `PARLEY_BUNDLE` marks code that a Lambda bundle
   * leaves out or takes elsewhere: the `pg` driver (the Data API is the driver on Lambda), and the
   * tracer (from its chunk, LAMBDA_CHUNKS).
   */
  define: { 'process.env.PARLEY_BUNDLE': JSON.stringify('lambda') } as Record<string, string>,
  /**
   * Module replacements (`--alias:package=./file`, relative to the repository root, where CDK runs
   * esbuild): the AWS SDK clients' default credential chain becomes the credentials Lambda puts
   * in the environment (functions/shared/aws/lambda-credentials.ts); an ES module's `node:http`
   * is taken with `require` (functions/shared/node/http.ts), as Node 24's ES module view of it
   * loads undici for getters nothing uses.
   */
  esbuildArgs: {
    '--alias': [
      '@aws-sdk/credential-provider-node=./functions/shared/aws/lambda-credentials.ts',
      'node:http=./functions/shared/node/http.ts',
    ],
  } as Record<string, string[]>,
} as const;

/** `--alias` arguments as esbuild's `alias` option. */
function aliases(): Record<string, string> {
  return Object.fromEntries(
    (LAMBDA_BUNDLING.esbuildArgs['--alias'] ?? []).map((arg) => {
      const at = arg.indexOf('=');
      return [arg.slice(0, at), arg.slice(at + 1)];
    }),
  );
}

/**
 * Files built beside `index.mjs` from entries of their own, with the same options, and imported
 * at run time by path: NodejsFunction makes one file, so code that only some invocations need
 * (the X-Ray SDK, when tracing is on) would otherwise sit in every bundle. AppFunction builds them
 * after bundling (`chunkCommands`).
 */
export const LAMBDA_CHUNKS = { 'tracing.mjs': 'functions/shared/tracing.ts' } as const;

/**
 * The esbuild options `NodejsFunction` builds from `LAMBDA_BUNDLING` (aws-cdk-lib's
 * `Bundling.buildEsbuildArgs`: `--bundle --platform=node --target --format --outfile --minify
 * --sourcemap --sources-content=false --external --define --banner:js --main-fields`, then its
 * `esbuildArgs`), for the bench and the bundle test to build exactly what is deployed.
 */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUNDLING.target,
    format: LAMBDA_BUNDLING.format,
    outfile,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    external: [...LAMBDA_BUNDLING.externalModules],
    define: { ...LAMBDA_BUNDLING.define },
    alias: aliases(),
    banner: { js: LAMBDA_BUNDLING.banner },
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    logLevel: 'silent',
  };
}

/** The same build as esbuild command-line arguments, in NodejsFunction's order. */
export function esbuildCliArgs(entry: string, outfile: string): string[] {
  return [
    '--bundle',
    entry,
    `--target=${LAMBDA_BUNDLING.target}`,
    '--platform=node',
    `--format=${LAMBDA_BUNDLING.format}`,
    `--outfile=${outfile}`,
    ...(LAMBDA_BUNDLING.minify ? ['--minify'] : []),
    ...(LAMBDA_BUNDLING.sourceMap ? ['--sourcemap'] : []),
    ...(LAMBDA_BUNDLING.sourcesContent ? [] : ['--sources-content=false']),
    ...LAMBDA_BUNDLING.externalModules.map((m) => `--external:${m}`),
    ...Object.entries(LAMBDA_BUNDLING.define).map(([key, value]) => `--define:${key}=${value}`),
    `--banner:js=${LAMBDA_BUNDLING.banner}`,
    `--main-fields=${LAMBDA_BUNDLING.mainFields.join(',')}`,
    ...Object.entries(LAMBDA_BUNDLING.esbuildArgs).flatMap(([key, values]) =>
      values.map((v) => `${key}:${v}`),
    ),
    '--log-level=warning',
  ];
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * Shell commands that build LAMBDA_CHUNKS into a bundle's output directory (NodejsFunction's
 * `afterBundling` hook, which runs them in the repository root).
 */
export function chunkCommands(inputDir: string, outputDir: string): string[] {
  return Object.entries(LAMBDA_CHUNKS).map(([file, entry]) =>
    [
      `${inputDir}/node_modules/.bin/esbuild`,
      ...esbuildCliArgs(`${inputDir}/${entry}`, `${outputDir}/${file}`),
    ]
      .map(shellQuote)
      .join(' '),
  );
}
