import { randomUUID } from 'node:crypto';
import { encodeCursor } from '#shared/pagination/cursor';
import type { Conversation } from '#conversations/domain/conversation';
import type {
  AuditedConversations,
  ConversationRepository,
  ConversationTransaction,
} from '#conversations/ports/conversation-repository';

interface Stored extends Conversation {
  readonly ownerId: string;
  deleted: boolean;
}

/** An in-memory ConversationRepository with the same owner scoping and order as PostgreSQL's. */
export function fakeConversations(clock: () => Date = () => new Date()) {
  const rows: Stored[] = [];
  const mine = (ownerId: string, id: string) =>
    rows.find((r) => r.id === id && r.ownerId === ownerId && !r.deleted);
  const view = ({ ownerId: _o, deleted: _d, ...conversation }: Stored): Conversation => conversation;
  const repository: ConversationRepository = {
    async create(ownerId, title) {
      const at = clock().toISOString();
      const row: Stored = {
        id: randomUUID(),
        ownerId,
        title,
        createdAt: at,
        updatedAt: at,
        messageCount: 0,
        deleted: false,
      };
      rows.push(row);
      return view(row);
    },
    async list(ownerId, { limit, cursor, q }) {
      const all = rows
        .filter((r) => r.ownerId === ownerId && !r.deleted)
        .filter((r) => !q || r.title.toLowerCase().includes(q.toLowerCase()))
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id))
        .filter((r) => !cursor || r.updatedAt < cursor.at || (r.updatedAt === cursor.at && r.id < cursor.id));
      const items = all.slice(0, limit).map(view);
      const last = items.at(-1);
      return {
        items,
        nextCursor: all.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last.id }) : null,
      };
    },
    async get(ownerId, id) {
      const row = mine(ownerId, id);
      return row && view(row);
    },
    async rename(ownerId, id, title) {
      const index = rows.findIndex((r) => r.id === id && r.ownerId === ownerId && !r.deleted);
      const row = rows[index];
      if (!row) return undefined;
      rows[index] = { ...row, title, updatedAt: clock().toISOString() };
      return view(rows[index]);
    },
    async restore(ownerId, id) {
      const row = rows.find((r) => r.id === id && r.ownerId === ownerId && r.deleted);
      if (!row) return undefined;
      row.deleted = false;
      return view(row);
    },
    async remove(ownerId, id) {
      const row = mine(ownerId, id);
      if (row) row.deleted = true;
      return Boolean(row);
    },
  };
  return { repository, rows };
}

/**
 * A transaction over the fakes with the real guarantee: when the work throws, what it changed in
 * the repository is undone (the rows are restored), as a rollback would.
 */
export function fakeTransaction(repositories: AuditedConversations, rows: Stored[]): ConversationTransaction {
  return async (work) => {
    const before = rows.map((r) => ({ ...r }));
    try {
      return await work(repositories);
    } catch (error) {
      rows.splice(0, rows.length, ...before);
      throw error;
    }
  };
}
