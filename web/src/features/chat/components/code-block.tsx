import { useEffect, useState } from 'react';

/** A fenced code block: language, Copy button, and the highlighted (already sanitised) code. */
export function CodeBlock({ language, code, html }: { language: string; code: string; html: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (copied === 'idle') return;
    const timer = window.setTimeout(() => setCopied('idle'), 2_000);
    return () => window.clearTimeout(timer);
  }, [copied]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(code);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <div className="code-block">
      <div className="code-block__header">
        <span className="code-block__language">{language || 'text'}</span>
        <button
          type="button"
          className="code-block__copy"
          onClick={copy}
          aria-label={language ? `Copy ${language} code` : 'Copy code'}
          data-testid="copy-code"
        >
          {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy'}
        </button>
      </div>
      <pre className="code-block__pre">
        {/* Highlighted by highlight.js from escaped text, then sanitised: see lib/markdown.ts. */}
        <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </div>
  );
}
