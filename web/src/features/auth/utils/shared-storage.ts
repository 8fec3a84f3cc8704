/**
 * The app's localStorage, which every tab of the app shares (as Amplify's session does), or
 * undefined where the browser refuses it (some private modes, storage disabled).
 */
export function sharedStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
