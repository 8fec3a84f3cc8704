import type { Role } from '#shared/domain/roles';

/** Roles given outside the admin API: a Cognito group a person was put in (the console, the CLI). */
export interface GroupRoles {
  /**
   * Stores `role` as the user's role when their row has none, with its `user.role-change` audit
   * event: both or neither. True when it did; false when the row has a role already (an admin
   * may have given one meanwhile) or there is no row.
   */
  adopt(userId: string, role: Role): Promise<boolean>;
}
