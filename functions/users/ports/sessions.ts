/** The identity provider's sessions of a person (Cognito). */
export interface Sessions {
  /** Revokes every refresh token of the user (`username`: their Cognito user name). */
  signOutEverywhere(username: string): Promise<void>;
}
