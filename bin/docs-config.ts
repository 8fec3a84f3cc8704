import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import ts from 'typescript';
import { STAGES, stageConfig, type Stage } from '../lib/config/stages';

/**
 * `npm run docs:config`: the configuration reference in docs/deployment.md, generated from the
 * stage schema in lib/config/stages.ts: each setting's constraint and documentation comment as
 * written in the schema, and its value in every stage as `stageConfig` returns it.
 * test/docs/config-reference.test.ts fails when the page and the schema differ.
 */

const ROOT = join(import.meta.dirname, '..');
export const STAGES_FILE = join(ROOT, 'lib/config/stages.ts');
export const DEPLOYMENT_DOC = join(ROOT, 'docs/deployment.md');
export const BEGIN = '<!-- config-reference:begin (npm run docs:config writes this block) -->';
export const END = '<!-- config-reference:end -->';

export interface Setting {
  /** Dotted path, e.g. `database.minCapacity`. */
  readonly path: string;
  readonly constraint: string;
  readonly doc: string;
}

export interface SchemaReference {
  readonly settings: readonly Setting[];
  /** Rules across settings (the schema's superRefine), as their messages say them. */
  readonly rules: readonly string[];
}

type Call = { readonly name: string; readonly args: readonly ts.Expression[] };

/** `z.number().int().min(1)` as [number(), int(), min(1)], outermost last. */
function callChain(expr: ts.Expression): Call[] | undefined {
  const calls: Call[] = [];
  let e: ts.Expression = expr;
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    calls.unshift({ name: e.expression.name.text, args: [...e.arguments] });
    e = e.expression.expression;
  }
  return ts.isIdentifier(e) && e.text === 'z' ? calls : undefined;
}

/** Numbers as written (`64 * 1024`, `15_000_000`) evaluated; strings and regexes as text. */
function literal(expr: ts.Expression, constants: Record<string, unknown>): string {
  const value = evaluate(expr, constants);
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'string') return value;
  return expr.getText();
}

function evaluate(expr: ts.Expression, constants: Record<string, unknown>): unknown {
  if (ts.isNumericLiteral(expr)) return Number(expr.text);
  if (ts.isStringLiteralLike(expr)) return expr.text;
  if (ts.isParenthesizedExpression(expr)) return evaluate(expr.expression, constants);
  if (ts.isIdentifier(expr) && expr.text in constants) return constants[expr.text];
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.map((e) => evaluate(e, constants));
  if (ts.isBinaryExpression(expr)) {
    const [a, b] = [evaluate(expr.left, constants), evaluate(expr.right, constants)];
    if (typeof a === 'number' && typeof b === 'number') {
      if (expr.operatorToken.kind === ts.SyntaxKind.AsteriskToken) return a * b;
      if (expr.operatorToken.kind === ts.SyntaxKind.PlusToken) return a + b;
    }
  }
  return undefined;
}

const code = (text: string) => `\`${text}\``;

/** A zod chain in words: `integer, 1–3`, `one of \`dev\`, \`prod\``, `optional`. */
function describe(calls: readonly Call[], constants: Record<string, unknown>): string {
  const parts: string[] = [];
  let min: string | undefined;
  let max: string | undefined;
  for (const { name, args } of calls) {
    const [first, second] = args;
    const arg = first ? literal(first, constants) : '';
    switch (name) {
      case 'number':
        parts.push('number');
        break;
      case 'int':
        parts[parts.length - 1] = 'integer';
        break;
      case 'string':
      case 'boolean':
        parts.push(name);
        break;
      case 'email':
        parts.push('e-mail address');
        break;
      case 'enum':
        parts.push(
          `one of ${String(first ? evaluate(first, constants) : '')
            .split(',')
            .map(code)
            .join(', ')}`,
        );
        break;
      case 'literal':
        parts.push(code(arg));
        break;
      case 'union':
        parts.push(
          `one of ${
            first && ts.isArrayLiteralExpression(first)
              ? first.elements.map((e) => describe(callChain(e) ?? [], constants)).join(', ')
              : arg
          }`,
        );
        break;
      case 'array': {
        const item = first ? describe(callChain(first) ?? [], constants) : 'item';
        parts.push(`list of (${item})`);
        break;
      }
      case 'object':
        parts.push('object');
        break;
      case 'min':
        min = arg;
        break;
      case 'max':
        max = arg;
        break;
      case 'regex':
        parts.push(second ? literal(second, constants) : `matching ${arg}`);
        break;
      case 'refine':
        // A custom check: its message says what it wants.
        if (second) parts.push(literal(second, constants));
        break;
      case 'startsWith':
        parts.push(`starting with ${code(arg)}`);
        break;
      case 'optional':
        parts.push('optional');
        break;
      case 'default':
        parts.push(
          `default ${
            first && ts.isObjectLiteralExpression(first)
              ? code(first.getText())
              : first && ts.isArrayLiteralExpression(first) && first.elements.length === 0
                ? 'none'
                : arg
          }`,
        );
        break;
      default:
        parts.push(`${name}(${args.map((a) => a.getText()).join(', ')})`);
    }
  }
  const isList = parts.some((p) => p.startsWith('list of'));
  if (min !== undefined && max !== undefined) parts.splice(1, 0, `${min}–${max}`);
  else if (min !== undefined && parts[0] === 'string' && min === '1') parts.splice(1, 0, 'non-empty');
  else if (min !== undefined) parts.splice(1, 0, isList ? `at least ${min} item(s)` : `at least ${min}`);
  else if (max !== undefined) parts.splice(1, 0, `at most ${max}`);
  return parts.join(', ');
}

function jsDoc(node: ts.Node, source: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  return ranges
    .map((r) => source.text.slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'))
    .map((c) =>
      c
        .replace(/^\/\*\*|\*\/$/g, '')
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .join(' ')
        .trim(),
    )
    .join(' ');
}

/** The settings of one `z.object({...})` literal, nested objects flattened to dotted paths. */
function settingsOf(
  object: ts.ObjectLiteralExpression,
  prefix: string,
  source: ts.SourceFile,
  constants: Record<string, unknown>,
): Setting[] {
  return object.properties.flatMap((p) => {
    if (!ts.isPropertyAssignment(p)) return [];
    const path = `${prefix}${p.name.getText(source)}`;
    const calls = callChain(p.initializer) ?? [];
    const doc = jsDoc(p, source);
    const nested = calls[0]?.name === 'object' ? calls[0].args[0] : undefined;
    if (nested && ts.isObjectLiteralExpression(nested)) {
      const rest = describe(calls.slice(1), constants);
      const own: Setting[] =
        doc || rest ? [{ path, constraint: ['object', rest].filter(Boolean).join(', '), doc }] : [];
      return [...own, ...settingsOf(nested, `${path}.`, source, constants)];
    }
    return [{ path, constraint: describe(calls, constants), doc }];
  });
}

/** Reads the schema's source: the settings in order and the cross-setting rules. */
export function readSchema(text: string, constants: Record<string, unknown> = { STAGES }): SchemaReference {
  const source = ts.createSourceFile('stages.ts', text, ts.ScriptTarget.Latest, true);
  let schema: ts.Expression | undefined;
  source.forEachChild(function visit(node) {
    if (ts.isVariableDeclaration(node) && node.name.getText(source) === 'stageConfigSchema')
      schema = node.initializer;
    node.forEachChild(visit);
  });
  if (!schema) throw new Error('lib/config/stages.ts has no stageConfigSchema declaration');
  let root: ts.ObjectLiteralExpression | undefined;
  const rules: string[] = [];
  (function visit(node: ts.Node) {
    if (
      !root &&
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'object' &&
      node.arguments[0] &&
      ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      root = node.arguments[0];
      return;
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      // Only its arguments: the call's own expression is the whole schema before it.
      if (node.expression.name.text === 'superRefine') node.arguments.forEach((a) => collectRules(a, rules));
    }
    node.forEachChild(visit);
  })(schema);
  if (!root) throw new Error('stageConfigSchema is not a z.object({...})');
  return { settings: settingsOf(root, '', source, constants), rules };
}

/** Messages of `ctx.addIssue({ path, message })` and of `[condition, 'message']` tuples. */
function collectRules(refine: ts.Node, rules: string[]): void {
  (function visit(node: ts.Node) {
    if (ts.isObjectLiteralExpression(node)) {
      const prop = (name: string) =>
        node.properties.find(
          (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === name,
        )?.initializer;
      const message = prop('message');
      const path = prop('path');
      if (message && ts.isStringLiteralLike(message)) {
        const where =
          path && ts.isArrayLiteralExpression(path) && path.elements.length
            ? `${code(path.elements.map((e) => (ts.isStringLiteralLike(e) ? e.text : e.getText())).join('.'))}: `
            : '';
        rules.push(`${where}${message.text}`);
        return;
      }
    }
    if (ts.isArrayLiteralExpression(node) && node.elements.length === 2) {
      const second = node.elements[1];
      if (second && ts.isStringLiteralLike(second)) {
        rules.push(second.text);
        return;
      }
    }
    node.forEachChild(visit);
  })(refine);
}

function valueAt(config: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], config);
}

function show(value: unknown): string {
  if (value === undefined) return '–';
  if (Array.isArray(value)) return value.length ? value.map((v) => code(String(v))).join(' ') : 'none';
  if (value !== null && typeof value === 'object') return code(JSON.stringify(value));
  if (typeof value === 'number') return code(String(value));
  return code(String(value));
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** The Markdown between the markers, formatted as prettier formats the page. */
export async function renderReference(
  reference: SchemaReference,
  configs: Readonly<Record<Stage, unknown>>,
): Promise<string> {
  const leaf = reference.settings.filter((s) => !s.constraint.startsWith('object') || s.doc);
  const lines = [
    `| setting | accepts | ${STAGES.join(' | ')} | meaning |`,
    `| --- | --- | ${STAGES.map(() => '---').join(' | ')} | --- |`,
    ...leaf.map((s) => {
      const values = s.constraint.startsWith('object')
        ? STAGES.map(() => '')
        : STAGES.map((stage) => show(valueAt(configs[stage], s.path)));
      return `| ${code(s.path)} | ${cell(s.constraint)} | ${values.join(' | ')} | ${cell(s.doc)} |`;
    }),
    '',
    'Rules across settings (the synth fails with these messages):',
    '',
    ...reference.rules.map((r) => `- ${r}`),
  ];
  const options = (await prettier.resolveConfig(DEPLOYMENT_DOC)) ?? {};
  return prettier.format(lines.join('\n'), { ...options, parser: 'markdown' });
}

/** The page with its reference block replaced; throws when the markers are missing. */
export function withReference(page: string, block: string): string {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/deployment.md lacks the markers ${BEGIN} … ${END}`);
  return `${page.slice(0, start + BEGIN.length)}\n\n${block.trim()}\n\n${page.slice(end)}`;
}

/** The reference as the schema and the stage values make it now. */
export async function currentReference(): Promise<string> {
  const reference = readSchema(await readFile(STAGES_FILE, 'utf8'));
  const configs = Object.fromEntries(STAGES.map((s) => [s, stageConfig(s)])) as Record<Stage, unknown>;
  return renderReference(reference, configs);
}

/** Writes the reference into docs/deployment.md; returns whether the page changed. */
export async function updateDeploymentDoc(file = DEPLOYMENT_DOC): Promise<boolean> {
  const page = await readFile(file, 'utf8');
  const next = withReference(page, await currentReference());
  if (next === page) return false;
  await writeFile(file, next);
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const changed = await updateDeploymentDoc();
  console.log(
    changed ? 'docs/deployment.md: configuration reference updated.' : 'docs/deployment.md: up to date.',
  );
}
