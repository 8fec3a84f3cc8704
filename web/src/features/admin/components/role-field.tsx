import { ROLES } from '@/features/admin/api/admin-user-schema';
import type { AdminRole } from '@/features/admin/api/admin-user-schema';
import { ROLE_LABELS } from '@/features/admin/components/labels';

/** A labelled choice of one of the roles, by its label ("Member", "Auditor", "Admin"). */
export function RoleField({
  id,
  value,
  onChange,
  className,
}: {
  id: string;
  value: AdminRole;
  onChange(role: AdminRole): void;
  className?: string;
}) {
  return (
    <div className={className}>
      <label htmlFor={id}>Role</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as AdminRole)}>
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {ROLE_LABELS[role]}
          </option>
        ))}
      </select>
    </div>
  );
}
