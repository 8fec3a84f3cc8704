import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * What the web app bundles ships to browsers, so its libraries are production dependencies:
 * `npm audit --omit=dev` (.ci/check) reads only those, and would say nothing of a vulnerable
 * markdown renderer or sanitizer listed under devDependencies.
 */
const ROOT = join(import.meta.dirname, '../..');
const WEB_SRC = join(ROOT, 'web/src');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/**
 * A test, or a tests' helper in a `testing/` folder (the chat's fake server). Only where the walk
 * starts: one a production file imported would still be walked, and its packages counted.
 */
const isTest = (file: string) => /\.test\.tsx?$/.test(file) || /(^|[\\/])testing[\\/]/.test(file);

/** The modules a file imports at run time: type-only imports and exports are erased. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The TypeScript file a relative or `@/` import names, if it is one. */
function resolveLocal(specifier: string, importer: string): string | undefined {
  const base = specifier.startsWith('@/')
    ? join(WEB_SRC, specifier.slice(2))
    : resolve(dirname(importer), specifier);
  return [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find(
    (candidate) => /\.tsx?$/.test(candidate) && existsSync(candidate),
  );
}

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * The packages the web app's code reaches at run time: every bare import of web/src outside the
 * tests, and of the shared modules (functions/…) those files import by relative path.
 */
function webRuntimePackages(): Map<string, string> {
  const packages = new Map<string, string>(); // package → first file importing it
  const queue = readdirSync(WEB_SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !isTest(f))
    .map((f) => join(WEB_SRC, f));
  const seen = new Set(queue);
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.') || specifier.startsWith('@/')) {
        const target = resolveLocal(specifier, file);
        if (target && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const name = packageOf(specifier);
        if (!packages.has(name)) packages.set(name, relative(ROOT, file));
      }
    }
  }
  return packages;
}

describe('the web app’s libraries', () => {
  it('are all production dependencies, so that the dependency audit checks them', () => {
    // Prepare
    const packages = webRuntimePackages();

    // Act
    const notProduction = [...packages]
      .filter(([name]) => !(name in manifest.dependencies))
      .map(([name, file]) => `${name} (imported by ${file})`);

    // Assess: the walk found the libraries (so an empty answer means something).
    expect([...packages.keys()]).toEqual(expect.arrayContaining(['react', 'marked', 'dompurify']));
    expect(notProduction).toEqual([]);
  });

  it('are not listed twice, once as a development dependency', () => {
    // Act
    const both = Object.keys(manifest.dependencies).filter((name) => name in manifest.devDependencies);

    // Assess
    expect(both).toEqual([]);
  });
});
