import type { Me, Role } from '@/features/me/api/get-me';

const ROLE_LABELS: Record<Role, string> = { admins: 'Admin', members: 'Member', auditors: 'Auditor' };

const numberFormat = new Intl.NumberFormat();

export function roleLabel(role: Role | null): string {
  return role ? ROLE_LABELS[role] : 'No role';
}

export function ProfileSummary({ me }: { me: Me }) {
  const { monthlyTokens, usedTokens } = me.quota;
  return (
    <section className="card profile" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your account</h2>
      <dl className="profile__facts">
        <div>
          <dt>Email</dt>
          <dd data-testid="me-email">{me.email}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd data-testid="me-role" data-role={me.role ?? 'none'}>
            {roleLabel(me.role)}
          </dd>
        </div>
        <div>
          <dt>Two-factor sign-in</dt>
          <dd>{me.mfaEnabled ? 'On' : 'Off'}</dd>
        </div>
        <div>
          <dt>Tokens this month</dt>
          <dd>
            <span className="profile__usage">
              {numberFormat.format(usedTokens)} of {numberFormat.format(monthlyTokens)}
            </span>
            <meter
              className="profile__meter"
              min={0}
              max={Math.max(monthlyTokens, 1)}
              low={monthlyTokens * 0.8}
              high={monthlyTokens * 0.95}
              optimum={0}
              value={Math.min(usedTokens, monthlyTokens)}
              aria-label="Share of this month's tokens used"
            />
          </dd>
        </div>
      </dl>
    </section>
  );
}
