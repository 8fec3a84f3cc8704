/** The app's routes, in one place: links and navigation build them here, the router matches them. */
export const paths = {
  home: '/',
  conversationPattern: '/c/:conversationId',
  searchPattern: '/search',
  /** A conversation; with a message id, scrolled to and highlighting that message. */
  conversation(conversationId: string, messageId?: string): string {
    return `/c/${encodeURIComponent(conversationId)}${messageId ? `#${messageAnchor(messageId)}` : ''}`;
  },
  search(query?: string): string {
    return query ? `/search?${new URLSearchParams({ q: query }).toString()}` : '/search';
  },
} as const;

/** The element id of a message in the conversation view, and the URL fragment that points to it. */
export function messageAnchor(messageId: string): string {
  return `m-${messageId}`;
}
