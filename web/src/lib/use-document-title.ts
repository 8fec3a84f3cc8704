import { useEffect } from 'react';

/** The app's name: the whole title of a page that names none (as `index.html` has it). */
const APP_NAME = 'Parley';

/**
 * Names the browser tab after the page shown: "Usage – Parley". In a single-page app the title is
 * what a screen reader says when a link is followed (nothing else is announced of a route that
 * changed), and what tabs and the history list show. Back to the app's name alone when the page
 * goes, so a page that sets none never shows another's.
 */
export function useDocumentTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} – ${APP_NAME}`;
    return () => {
      document.title = APP_NAME;
    };
  }, [page]);
}
