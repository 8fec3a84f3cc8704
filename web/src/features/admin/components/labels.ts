import type { AdminRole } from '@/features/admin/api/admin-user-schema';

export const ROLE_LABELS: Record<AdminRole, string> = {
  admins: 'Admin',
  auditors: 'Auditor',
  members: 'Member',
};

export const numberFormat = new Intl.NumberFormat();
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
