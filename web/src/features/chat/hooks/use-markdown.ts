import { useEffect, useState } from 'react';

import type { renderMarkdown } from '@/lib/markdown';

type RenderMarkdown = typeof renderMarkdown;

let loaded: RenderMarkdown | undefined;
let loading: Promise<RenderMarkdown | undefined> | undefined;

/**
 * Loads the Markdown renderer (marked, DOMPurify, highlight.js: about 50 KB gzipped) in its own
 * chunk, so signing in and the first paint do not wait for it. Until it is there, or if it cannot
 * load, replies show as plain text, which is always safe.
 */
export function loadMarkdown(): Promise<RenderMarkdown | undefined> {
  loading ??= import('@/lib/markdown').then(
    (module) => (loaded = module.renderMarkdown),
    () => {
      loading = undefined;
      return undefined;
    },
  );
  return loading;
}

export function useMarkdown(): RenderMarkdown | undefined {
  const [render, setRender] = useState<RenderMarkdown | undefined>(() => loaded);
  useEffect(() => {
    if (render) return;
    let current = true;
    void loadMarkdown().then((found) => {
      if (current && found) setRender(() => found);
    });
    return () => {
      current = false;
    };
  }, [render]);
  return render;
}
