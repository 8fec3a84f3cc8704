import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

import { startDevServer, type DevServer } from '../../bin/local/dev-server';
import { cognitoCall } from '../resilience/support/sign-in';

/**
 * The README's first five minutes: the local stack sends no e-mail, so what Cognito would e-mail
 * (an invitation's temporary password, a password-reset code) appears in `npm start`'s output,
 * as `[cognito] Invitation for …` and `[cognito] Password reset code for …`. `npm start` runs
 * the dev server without `quiet`; its output is this process's stdout.
 */
let server: DevServer;
let dataDir: string;
const savedEnv = { ...process.env };
const printed: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-npm-start-mail-'));
  process.env.DATABASE_URL = inject('databaseUrl');
  // Kept, not shown: the test's own output stays quiet.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  server = await startDevServer({ port: 0, cognitoPort: 0, dataDir, bootstrapAdmin: false });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  vi.restoreAllMocks();
  process.env = savedEnv;
  await rm(dataDir, { recursive: true, force: true });
});

const output = () => printed.join('');

describe("npm start's output, standing in for e-mail", () => {
  it('shows the temporary password of an invitation, and of the invitation sent again', async () => {
    // Prepare
    const email = `invited-${Date.now().toString(36)}@example.com`;
    const invite = (resend: boolean) =>
      server.cognitoAdmin.send(
        new AdminCreateUserCommand({
          UserPoolId: server.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
          DesiredDeliveryMediums: ['EMAIL'],
          ...(resend ? { MessageAction: 'RESEND' as const } : {}),
        }),
      );

    // Act
    await invite(false);
    const first = server.invitationFor(email);
    await invite(true);
    const again = server.invitationFor(email);

    // Assess: each temporary password is printed as the README quotes it.
    expect(first).toBeDefined();
    expect(again).toBeDefined();
    expect(again).not.toBe(first);
    expect(output()).toContain(`[cognito] Invitation for ${email}: temporary password ${first}`);
    expect(output()).toContain(`[cognito] Invitation for ${email}: temporary password ${again}`);
  });

  it('shows the code of "Forgot your password?"', async () => {
    // Prepare: someone who has signed in before (a password of their own).
    const email = `forgetful-${Date.now().toString(36)}@example.com`;
    await server.createUser({ email, password: 'Correct-Horse-Battery-9!', role: 'members' });

    // Act: what the sign-in page's "Forgot your password?" sends.
    const answer = await cognitoCall(server.cognitoEndpoint, 'ForgotPassword', {
      ClientId: server.clientId,
      Username: email,
    });

    // Assess: the line docs/troubleshooting.md tells people to look for.
    expect(answer.status).toBe(200);
    const code = server.resetCodeFor(email);
    expect(code).toMatch(/^\d{6}$/);
    expect(output()).toContain(`[cognito] Password reset code for ${email}: ${code}`);
  });
});
