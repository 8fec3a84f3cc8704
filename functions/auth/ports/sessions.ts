/** A user's sessions at the identity provider (Cognito's refresh tokens). */
export interface Sessions {
  /** Ends every session of the user: their refresh tokens stop working. */
  signOutEverywhere(username: string): Promise<void>;
}
