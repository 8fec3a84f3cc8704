import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AdminDeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { promptSettingsOf } from '#chat/domain/system-prompt';
import { IdentityMissingError } from '#admin/domain/admin-user';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { ACCESS_TOKEN_MINUTES } from '#shared/domain/access-token';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { startLocalCognito, type LocalCognito } from '../../../bin/local/cognito';
import { cognitoIdentityProvider, createCognitoClient } from '../adapters/cognito-identity-provider';
import { postgresUserAdmin } from '../adapters/postgres-user-admin';
import type { AdminTransaction } from '../ports/user-admin';
import { makeEraseUser } from './erase-user';
import { makeUpdateUser } from './update-user';

/*
 * A person whose Cognito user is gone (deleted in the console, say) while their row is still
 * active: the admin can still cut them off and, later, erase them. The admin change with its real
 * adapters, on PostgreSQL and the local Cognito.
 */
const db = testDatabase();
const queries = testSql();
const dataDir = mkdtempSync(join(tmpdir(), 'parley-identity-missing-'));
let cognito: LocalCognito;
const created: string[] = [];

beforeAll(async () => {
  cognito = await startLocalCognito({
    dataDir,
    webOrigin: 'http://localhost:5173',
    quiet: true,
    mfa: 'OPTIONAL',
    invokeTrigger: async (_name, event) => event,
  });
}, 60_000);

afterAll(async () => {
  if (created.length) await db.deleteFrom('users').where('id', 'in', created).execute();
  await cognito?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await queries.destroy();
  await db.destroy();
});

/** An active admin in the database: a role or status change checks its caller still is one. */
const admin = await createTestUser(db, { role: 'admins' });
created.push(admin.id);
const caller = { userId: admin.id, kind: 'user', role: 'admins' } as const;
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 4_000 });

function useCases(now: Date) {
  const identity = cognitoIdentityProvider(
    createCognitoClient({
      userPoolId: cognito.userPoolId,
      region: cognito.region,
      endpoint: cognito.endpoint,
    }),
    cognito.userPoolId,
  );
  const transaction: AdminTransaction = (work) =>
    queries.transaction((tx) =>
      work({ users: postgresUserAdmin(tx, () => 100_000, undefined, PROMPT), audit: postgresAuditLog(tx) }),
    );
  const deps = { transaction, identity, now: () => now };
  return { identity, update: makeUpdateUser(deps), erase: makeEraseUser(deps) };
}

describe('a person no longer in Cognito', () => {
  it('is disabled (tokens refused from now on, audited), and erased once their last token has expired', async () => {
    // Prepare: invited through Cognito, a row under their sub, then deleted in Cognito by hand.
    const email = `gone-${randomUUID().slice(0, 8)}@example.test`;
    const now = new Date();
    const { identity, update } = useCases(now);
    const { id } = await identity.createUser(email);
    await createTestUser(db, { id, email, role: 'members' });
    created.push(id);
    await cognito.admin.send(new AdminDeleteUserCommand({ UserPoolId: cognito.userPoolId, Username: email }));
    const requestId = `req-${randomUUID()}`;

    // Act
    const disabled = await update(caller, id, { status: 'disabled' }, requestId);

    // Assess: disabled, their access tokens refused from the change on, the change audited.
    expect(disabled).toMatchObject({ id, status: 'disabled' });
    const row = await db
      .selectFrom('users')
      .select(['status', 'tokens_valid_after'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('disabled');
    expect(row.tokens_valid_after).not.toBeNull();
    const events = await db
      .selectFrom('audit_events')
      .select(['action', 'request_id'])
      .where('target_id', '=', id)
      .execute();
    expect(events).toEqual([{ action: 'user.disable', request_id: requestId }]);

    // Act: an hour later (and a little), the erasure.
    const later = new Date(Date.parse(disabled.disabledAt ?? '') + ACCESS_TOKEN_MINUTES * 60_000 + 1_000);
    const erased = await useCases(later).erase(caller, id, `req-${randomUUID()}`);

    // Assess
    expect(erased).toMatchObject({ conversations: 0, messages: 0 });
    const { rows } = await sql<{
      left: number;
    }>`select count(*)::int as left from users where id = ${id}`.execute(db);
    expect(rows[0]?.left).toBe(0);
  });

  it('still refuses a role change, which has no group to change (409, nothing changed)', async () => {
    // Prepare
    const email = `gone-${randomUUID().slice(0, 8)}@example.test`;
    const { identity, update } = useCases(new Date());
    const { id } = await identity.createUser(email);
    await identity.addToGroup(email, 'members');
    await createTestUser(db, { id, email, role: 'members' });
    created.push(id);
    await cognito.admin.send(new AdminDeleteUserCommand({ UserPoolId: cognito.userPoolId, Username: email }));

    // Act
    const error = await update(caller, id, { role: 'auditors' }, `req-${randomUUID()}`).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(IdentityMissingError);
    const row = await db
      .selectFrom('users')
      .select(['role', 'status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'members', status: 'active' });
  });
});
