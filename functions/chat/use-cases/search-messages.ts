import type { Caller } from '#shared/domain/caller';
import type { Page } from '#shared/pagination/cursor';
import type { MessageRepository, SearchHit, SearchKeyset } from '../ports/message-repository';

/** Full-text search over the caller's own messages, best matches first. */
export const makeSearchMessages =
  (deps: { messages: MessageRepository }) =>
  (caller: Caller, options: { q: string; limit: number; cursor?: SearchKeyset }): Promise<Page<SearchHit>> =>
    deps.messages.search(caller.userId, options);
