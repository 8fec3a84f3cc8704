import { eraseUser } from './erase-user';
import { getUsage } from './get-usage';
import { inviteUser } from './invite-user';
import { listAuditEvents } from './list-audit-events';
import { listFeedback } from './list-feedback';
import { listUsers } from './list-users';
import { resendInvitation } from './resend-invitation';
import { resetUserMfa } from './reset-user-mfa';
import { signOutUser } from './sign-out-user';
import { unlockUser } from './unlock-user';
import { updateUser } from './update-user';

/** The admin group: one Lambda function serves exactly these. */
export const adminRoutes = [
  listUsers,
  inviteUser,
  updateUser,
  unlockUser,
  signOutUser,
  resetUserMfa,
  resendInvitation,
  eraseUser,
  getUsage,
  listAuditEvents,
  listFeedback,
] as const;
