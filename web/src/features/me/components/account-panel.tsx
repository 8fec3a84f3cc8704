import type { Me } from '@/features/me/api/get-me';
import { QuotaMeter } from '@/features/me/components/quota-meter';
import { roleLabel } from '@/features/me/components/profile-summary';

/**
 * The signed-in person at the foot of the sidebar: who, which role, how much quota is left (not
 * shown to auditors, who cannot chat).
 */
export function AccountPanel({ me, showQuota = true }: { me: Me; showQuota?: boolean }) {
  return (
    <section className="account" aria-label="Your account">
      {showQuota && <QuotaMeter quota={me.quota} />}
      <div className="account__who">
        <span className="account__avatar" aria-hidden="true">
          {(me.displayName || me.email).slice(0, 1).toUpperCase()}
        </span>
        <span className="account__names">
          <span className="account__email" data-testid="me-email">
            {me.email}
          </span>
          <span className="account__role" data-testid="me-role" data-role={me.role ?? 'none'}>
            {roleLabel(me.role)}
          </span>
        </span>
      </div>
    </section>
  );
}
