import DOMPurify from 'dompurify';
import type { Config, DOMPurify as Purifier } from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked } from 'marked';
import type { Token, Tokens, TokensList } from 'marked';

/**
 * Assistant replies are Markdown written by a model that read the user's text (and whatever that
 * text pasted in), so they are untrusted: raw HTML in a message is shown as text, never parsed;
 * images become links (an `<img>` would fetch a third-party URL, and the CSP's img-src refuses it
 * anyway); and the HTML marked produces goes through DOMPurify with a short allow-list before it
 * reaches the DOM, so no attribute, URL scheme or tag can run script or apply inline styles.
 */

// A few common languages keep highlight.js at a fraction of its full size; others show as plain.
for (const [name, language] of Object.entries({
  bash,
  css,
  go,
  java,
  javascript,
  json,
  python,
  sql,
  typescript,
  xml,
  yaml,
})) {
  hljs.registerLanguage(name, language);
}

export type MarkdownBlock =
  /** Sanitised HTML of one or more consecutive blocks other than fenced code. */
  | { readonly kind: 'html'; readonly html: string }
  /** A top-level code block, so the UI can give it a header and a Copy button. */
  | { readonly kind: 'code'; readonly language: string; readonly code: string; readonly html: string };

const SANITIZE: Config = {
  ALLOWED_TAGS: [
    'a',
    'blockquote',
    'br',
    'code',
    'del',
    'em',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'hr',
    'li',
    'ol',
    'p',
    'pre',
    's',
    'span',
    'strong',
    'table',
    'tbody',
    'td',
    'th',
    'thead',
    'tr',
    'ul',
  ],
  ALLOWED_ATTR: ['href', 'title', 'class', 'align', 'start'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // Only web and mail links: no javascript:, data:, vbscript: or relative URLs into the app.
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
};

let purifier: Purifier | undefined;

function purify(): Purifier {
  if (purifier) return purifier;
  const instance = DOMPurify(window);
  instance.addHook('afterSanitizeAttributes', (node) => {
    const heading = /^H([1-6])$/.exec(node.tagName);
    if (heading) {
      // A reply sits under the page's h1 (the conversation) and its message's h2: its own headings
      // are said two levels lower, so the page's outline keeps its order; the tag, and so the
      // look of the level the model wrote, stays.
      node.setAttribute('aria-level', String(Math.min(6, Number(heading[1]) + 2)));
    }
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
      // Said to screen readers, which do not announce target=_blank (WCAG technique G201). Made
      // here, as DOM, never from the reply's text; DOMPurify then walks it like any other node.
      const note = node.ownerDocument.createElement('span');
      note.className = 'visually-hidden';
      note.textContent = ' (opens in a new tab)';
      node.appendChild(note);
    }
  });
  purifier = instance;
  return instance;
}

export function sanitizeHtml(html: string): string {
  return purify().sanitize(html, { ...SANITIZE, RETURN_TRUSTED_TYPE: false }) as string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** The first word of a fence's info string, lower-cased: ```ts title="x" → `ts`. */
function languageOf(info: string | undefined): string {
  return (info ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
}

/** Highlighted, sanitised HTML for the inside of a `<code>` element. */
export function highlightCode(code: string, language: string): string {
  const html =
    language && hljs.getLanguage(language)
      ? hljs.highlight(code, { language, ignoreIllegals: true }).value
      : escapeHtml(code);
  return sanitizeHtml(html);
}

/**
 * The tokens of a link's text with each image in it as its words (its address when it has none).
 * An image becomes a link of its own (see the renderer), and a link inside a link is split by the
 * browser and the sanitiser: a linked image (a README's badge) would leave an empty link, with no
 * name, to where it was meant to go, and its words linked to the image instead.
 */
function imagesAsWords(tokens: Token[]): Token[] {
  return tokens.map((token): Token => {
    if (token.type === 'image') {
      const image = token as Tokens.Image;
      return { type: 'text', raw: image.raw, text: image.text || image.href };
    }
    if ('tokens' in token && Array.isArray(token.tokens)) {
      return { ...token, tokens: imagesAsWords(token.tokens as Token[]) } as Token;
    }
    return token;
  });
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    image({ href, text }: Tokens.Image): string {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
    // Code inside lists or quotes: highlighted in place (only top-level blocks get a header).
    code({ text, lang }: Tokens.Code): string {
      const language = languageOf(lang);
      return `<pre><code class="hljs">${highlightCode(text, language)}</code></pre>`;
    },
    checkbox({ checked }: Tokens.Checkbox): string {
      return checked ? '☑ ' : '☐ ';
    },
  },
});

/**
 * Splits a message into sanitised HTML blocks and code blocks, in order. Text the Markdown reader
 * cannot read (marked throws on some nestings of lists and quotes, e.g. "- a\n  > - \nb") is
 * shown as plain paragraphs: a reply must never stop its conversation from opening.
 */
export function renderMarkdown(source: string): MarkdownBlock[] {
  try {
    return markdownBlocks(source);
  } catch {
    return plainBlocks(source);
  }
}

/** The text as escaped paragraphs, its line breaks kept. */
function plainBlocks(source: string): MarkdownBlock[] {
  const html = source
    .split(/\n{2,}/)
    .filter((paragraph) => paragraph.trim())
    .map((paragraph) => `<p>${escapeHtml(paragraph).replaceAll('\n', '<br>')}</p>`)
    .join('');
  return html ? [{ kind: 'html', html }] : [];
}

function markdownBlocks(source: string): MarkdownBlock[] {
  const tokens: TokensList = marked.lexer(source);
  marked.walkTokens(tokens, (token) => {
    if (token.type === 'link') token.tokens = imagesAsWords((token as Tokens.Link).tokens);
  });
  const blocks: MarkdownBlock[] = [];
  let group: Token[] = [];

  const flush = () => {
    if (group.length === 0) return;
    const list = Object.assign(group, { links: tokens.links });
    const html = sanitizeHtml(marked.parser(list));
    if (html.trim()) blocks.push({ kind: 'html', html });
    group = [];
  };

  for (const token of tokens) {
    if (token.type === 'code') {
      flush();
      const code = token as Tokens.Code;
      const language = languageOf(code.lang);
      blocks.push({ kind: 'code', language, code: code.text, html: highlightCode(code.text, language) });
    } else {
      group.push(token);
    }
  }
  flush();
  return blocks;
}
