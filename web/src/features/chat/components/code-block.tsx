import { copyLabel, useCopy } from '@/lib/use-copy';

/** A fenced code block: language, Copy button, and the highlighted (already sanitised) code. */
export function CodeBlock({ language, code, html }: { language: string; code: string; html: string }) {
  const { state, copy } = useCopy();

  return (
    // Code reads left to right, in a reply written right to left too.
    <div className="code-block" dir="ltr">
      <div className="code-block__header">
        <span className="code-block__language">{language || 'text'}</span>
        <button
          type="button"
          className="code-block__copy"
          onClick={() => void copy(code)}
          aria-label={language ? `Copy ${language} code` : 'Copy code'}
          data-testid="copy-code"
        >
          {copyLabel(state)}
        </button>
        {/* The button's name stays "Copy … code", so the outcome is said here. */}
        <span className="visually-hidden" role="status" data-testid="copy-code-status">
          {state === 'idle' ? '' : copyLabel(state)}
        </span>
      </div>
      {/* A long line scrolls sideways: a tab stop, so the arrow keys can scroll it in every browser
          (Chromium alone makes a scroller focusable by itself), named so it is not read as bare code. */}
      <pre
        className="code-block__pre"
        tabIndex={0}
        role="region"
        aria-label={language ? `${language} code` : 'Code'}
      >
        {/* Highlighted by highlight.js from escaped text, then sanitised: see lib/markdown.ts. */}
        <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </div>
  );
}
