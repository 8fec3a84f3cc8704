import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The messages a page quotes, and where the code prints them. A message is quoted either in
 * double quotes ("No such route.") or as a code span that reads like a sentence (starts with a
 * capitalised word and holds a space: `Stopped cleanly.`); commands, paths and variable names in
 * code spans are not messages. In a quoted message `…` stands for a value the code fills in, and
 * so does a lone `N` (a number).
 */
export function quotedMessages(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) break;
      const span = text.slice(i + 1, end);
      if (/^[A-Z][a-z]/.test(span) && span.includes(' ')) found.push(span);
      i = end;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) break;
      found.push(text.slice(i + 1, end));
      i = end;
    }
  }
  return [...new Set(found)];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A message as a pattern over one line of source: placeholders match whatever the code inserts. */
export function messagePattern(message: string): RegExp {
  const parts = message.split(/…|\bN\b/).map(escape);
  return new RegExp(parts.join('.*?'));
}

/** Source lines as they read once string escapes are undone (`doesn\'t` reads `doesn't`). */
export function sourceLines(root: string, folders: readonly string[]): { file: string; line: string }[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'dist') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name)) files.push(path);
      else if (!name.includes('.') && dir.endsWith('.ci')) files.push(path);
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => ({ file: relative(root, file), line: line.replace(/\\(['"`])/g, '$1') })),
  );
}

/** The quoted messages no source line prints. */
export function unprinted(messages: readonly string[], lines: readonly { line: string }[]): string[] {
  return messages.filter((m) => {
    const pattern = messagePattern(m);
    return !lines.some(({ line }) => pattern.test(line));
  });
}
