import type { ReactNode } from 'react';
import { useDocumentTitle } from '@/lib/use-document-title';

/** The heading bar of a console page, with room for page-level actions on the right. */
export function ConsoleHeader({ id, title, children }: { id: string; title: string; children?: ReactNode }) {
  useDocumentTitle(title);
  return (
    <header className="chat__header">
      <h1 id={id} className="chat__title">
        {title}
      </h1>
      {children}
    </header>
  );
}
