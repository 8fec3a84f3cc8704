import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { proxyEvent, setUpApiEnvironment } from '#test/support/api';
import { testDatabase } from '#test/support/database';
import { lambdaContext } from '#test/support/lambda-context';

/** GET /api/me through the users function, as API Gateway calls it, against real PostgreSQL. */
const issuer = setUpApiEnvironment();
const { handler: users } = await import('#users/lambda');
const db = testDatabase();
afterAll(() => db.destroy());

/** A first `/me` of a person no trigger has provisioned, from `sourceIp` with `userAgent`. */
async function firstMe(sub: string, sourceIp: string, userAgent: string) {
  const event = proxyEvent({
    method: 'GET',
    path: '/api/me',
    token: issuer.accessToken({ sub, username: `new-${sub}@example.test`, 'cognito:groups': ['members'] }),
    headers: { 'User-Agent': userAgent },
  });
  (event.requestContext as unknown as Record<string, unknown>).identity = { sourceIp };
  const answer = await users(event, lambdaContext({ awsRequestId: event.requestContext.requestId }));
  expect(answer.statusCode).toBe(200);
  return event.requestContext.requestId;
}

describe('GET /api/me provisioning a missing row', () => {
  it('records user.provisioned with the request id, source address and user agent, as every audit event of a request', async () => {
    // Prepare
    const sub = randomUUID();

    // Act
    const requestId = await firstMe(sub, '203.0.113.9', 'Mozilla/5.0 Parley-Test');

    // Assess
    const audit = await db
      .selectFrom('audit_events')
      .select(['actor_id', 'action', 'target_id', 'request_id', 'source_ip', 'user_agent'])
      .where('target_id', '=', sub)
      .execute();
    expect(audit).toEqual([
      {
        actor_id: sub,
        action: 'user.provisioned',
        target_id: sub,
        request_id: requestId,
        source_ip: '203.0.113.9',
        user_agent: 'Mozilla/5.0 Parley-Test',
      },
    ]);
  });

  it('records nothing more on a later request, which finds the row', async () => {
    const sub = randomUUID();
    await firstMe(sub, '203.0.113.9', 'first');

    await firstMe(sub, '198.51.100.2', 'second');

    const audit = await db
      .selectFrom('audit_events')
      .select('user_agent')
      .where('target_id', '=', sub)
      .execute();
    expect(audit).toEqual([{ user_agent: 'first' }]);
  });
});
