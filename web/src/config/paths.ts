/** The app's routes, in one place: links and navigation build them here, the router matches them. */
export const paths = {
  home: '/',
  conversationPattern: '/c/:conversationId',
  searchPattern: '/search',
  /** The admin and auditor console; filters ride in the query string so a reload keeps them. */
  adminPrefix: '/admin',
  adminUsers: '/admin/users',
  adminUsage: '/admin/usage',
  adminAudit: '/admin/audit',
  adminFeedback: '/admin/feedback',
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

/** Whether a path is in the admin and auditor console (`/admin` and below). */
export function isConsolePath(path: string): boolean {
  return path === paths.adminPrefix || path.startsWith(`${paths.adminPrefix}/`);
}
