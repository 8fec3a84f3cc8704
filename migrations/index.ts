import type { Migration } from 'kysely';

import * as m0001 from './0001-users';
import * as m0002 from './0002-sign-in-attempts';
import * as m0003 from './0003-conversations';
import * as m0004 from './0004-messages';
import * as m0005 from './0005-usage-daily';
import * as m0006 from './0006-audit-events';
import * as m0007 from './0007-audit-events-append-only';
import * as m0008 from './0008-users-tokens-valid-after';
import * as m0009 from './0009-admin-indexes';
import * as m0010 from './0010-messages-owner-search';
import * as m0011 from './0011-users-quota-role-default';
import * as m0012 from './0012-application-role';
import * as m0013 from './0013-audit-events-request-origin';
import * as m0014 from './0014-conversations-deleted-index';
import * as m0015 from './0015-message-feedback';
import * as m0016 from './0016-users-instructions';
import * as m0017 from './0017-users-last-sign-in';
import * as m0018 from './0018-messages-stop-requested';
import * as m0019 from './0019-messages-streaming-owner-index';
import * as m0020 from './0020-usage-daily-kept-after-erasure';
import * as m0021 from './0021-audit-events-insert-time';
import * as m0022 from './0022-messages-truncated';
import * as m0023 from './0023-users-turn-sequence';
import * as m0024 from './0024-owner-indexes';
import * as m0025 from './0025-message-feedback-conversation-model';
import * as m0026 from './0026-download-slots';

/**
 * Every migration, by name, imported statically: the Lambda bundle has no migrations folder to
 * read. Names sort in the order they run; never rename or edit one that has shipped, add a new one.
 */
export const migrations: Record<string, Migration> = {
  '0001-users': m0001,
  '0002-sign-in-attempts': m0002,
  '0003-conversations': m0003,
  '0004-messages': m0004,
  '0005-usage-daily': m0005,
  '0006-audit-events': m0006,
  '0007-audit-events-append-only': m0007,
  '0008-users-tokens-valid-after': m0008,
  '0009-admin-indexes': m0009,
  '0010-messages-owner-search': m0010,
  '0011-users-quota-role-default': m0011,
  '0012-application-role': m0012,
  '0013-audit-events-request-origin': m0013,
  '0014-conversations-deleted-index': m0014,
  '0015-message-feedback': m0015,
  '0016-users-instructions': m0016,
  '0017-users-last-sign-in': m0017,
  '0018-messages-stop-requested': m0018,
  '0019-messages-streaming-owner-index': m0019,
  '0020-usage-daily-kept-after-erasure': m0020,
  '0021-audit-events-insert-time': m0021,
  '0022-messages-truncated': m0022,
  '0023-users-turn-sequence': m0023,
  '0024-owner-indexes': m0024,
  '0025-message-feedback-conversation-model': m0025,
  '0026-download-slots': m0026,
};
