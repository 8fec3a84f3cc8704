/** What the identity provider knows of a user's second factor. */
export interface MfaSettings {
  /**
   * Whether the user (by Cognito user name) has TOTP turned on; undefined when it cannot be told
   * right now (the stored value is then kept).
   */
  totpEnabled(username: string): Promise<boolean | undefined>;
}
