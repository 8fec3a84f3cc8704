import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const DEPLOYED_CODE = [
  {
    regex: '^(\\.\\./)+(bin|lib|test)/|^#test/|^aws-cdk-lib|^constructs$',
    message: 'functions/ is deployed code: it imports nothing from bin/, lib/, test/ or the CDK.',
  },
];
const PURE_DOMAIN = [
  {
    regex:
      '(^|/)(http|db|cache|adapters)/|^#shared/(config|powertools)$|^(kysely|pg|ioredis|openai|aws-lambda|aws-jwt-verify)$|^kysely-|^@aws-sdk/|^@aws-lambda-powertools/|^@middy/',
    message:
      'Domain, ports and use cases import no HTTP, database, cache, configuration or AWS code: take a port.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '.parley/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      'no-restricted-syntax': [
        'error',
        {
          // `import { z }` keeps all of zod in a bundle (its locales alone are ~370 KB of every
          // Lambda); the namespace import lets esbuild drop what is unused.
          selector: "ImportDeclaration[source.value=/^zod/] > ImportSpecifier[imported.name='z']",
          message: "Import zod as a namespace: import * as z from 'zod'.",
        },
      ],
    },
  },
  {
    // Deployed code stands alone: the CDK app, the local server and the tests depend on it,
    // never the other way round.
    files: ['functions/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: DEPLOYED_CODE }] },
  },
  {
    // The domain and its use cases speak of callers, conversations and ports: no HTTP, database,
    // cache or AWS code (adapters and wiring bring those in).
    files: ['functions/*/domain/**/*.ts', 'functions/*/use-cases/**/*.ts', 'functions/*/ports/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...DEPLOYED_CODE, ...PURE_DOMAIN] }] },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
