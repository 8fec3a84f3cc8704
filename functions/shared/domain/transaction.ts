/**
 * Runs work on repositories that share one transaction: everything the work wrote commits
 * together, or nothing does (a change and its audit event, for instance).
 */
export type InTransaction<Repositories> = <T>(work: (repositories: Repositories) => Promise<T>) => Promise<T>;
