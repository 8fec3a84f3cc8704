import { useMemo } from 'react';

import { CodeBlock } from '@/features/chat/components/code-block';
import { useMarkdown } from '@/features/chat/hooks/use-markdown';

/** An assistant message: Markdown, sanitised (lib/markdown.ts), code blocks with a Copy button. */
export function MarkdownContent({ source }: { source: string }) {
  const render = useMarkdown();
  const blocks = useMemo(() => render?.(source), [render, source]);
  // dir="auto": a reply runs in the direction of its own words (right to left in Hebrew or Arabic),
  // not the page's; its code blocks stay left to right.
  if (!blocks)
    return (
      <p className="message__text" dir="auto">
        {source}
      </p>
    );
  return (
    <div className="markdown" dir="auto">
      {blocks.map((block, index) =>
        block.kind === 'code' ? (
          <CodeBlock key={index} language={block.language} code={block.code} html={block.html} />
        ) : (
          // Sanitised by DOMPurify with an allow-list; raw HTML in the message was escaped first.
          <div key={index} dangerouslySetInnerHTML={{ __html: block.html }} />
        ),
      )}
    </div>
  );
}
