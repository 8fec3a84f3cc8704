import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Migration,
  type QueryResult,
} from 'kysely';

/**
 * What a migration must not do to a table that already holds rows, on a live database: the
 * migrator runs every pending migration in ONE transaction (migrator.ts), so a lock a statement
 * takes is held until the whole run commits, and every request touching that table waits behind
 * it (and, through the Data API, fails after 45 s).
 */
export type LockRisk =
  /** `create index` without `concurrently`: a SHARE lock (no writes) for the whole build. */
  | 'index-build'
  /**
   * `create index concurrently` (or `reindex concurrently`): PostgreSQL refuses it inside a
   * transaction block, and the migrator's run is one. Build it beforehand, by hand.
   */
  | 'concurrently-in-transaction'
  /** A change that rewrites the whole table under ACCESS EXCLUSIVE (no reads, no writes). */
  | 'table-rewrite'
  /** A constraint checked against every row under ACCESS EXCLUSIVE: add it `not valid` instead. */
  | 'constraint-scan'
  /** `set not null`: every row read under ACCESS EXCLUSIVE. */
  | 'not-null-scan'
  /** `validate constraint` on a table this migration also altered: the scan runs under its lock. */
  | 'validate-under-lock'
  /** `update` or `delete` of an existing table: row locks on all it touches until the run commits. */
  | 'bulk-write'
  /** `lock table`, `cluster`, `vacuum`, `reindex`: exclusive, long, or refused in a transaction. */
  | 'exclusive-maintenance';

export interface LockFinding {
  readonly risk: LockRisk;
  /** The table affected, as named in the statement (without schema or quotes). */
  readonly table: string;
  /** The statement, normalised (one line, lower case, identifiers unquoted). */
  readonly statement: string;
}

/**
 * Functions a column default may call and still be a catalogue change: PostgreSQL 11+ stores a
 * non-volatile default once instead of writing it into every row. Any other call is presumed
 * volatile (clock_timestamp(), gen_random_uuid(), random(), nextval()…), which rewrites the table.
 */
const NON_VOLATILE_DEFAULT_CALLS = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'jsonb_build_object',
  'json_build_object',
  'array',
]);

/** One line, lower case, identifiers unquoted and unqualified, string literals blanked. */
export function normaliseStatement(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"([^"]*)"/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/\bpublic\./g, '');
}

/** Splits at commas that are not inside parentheses (the actions of one ALTER TABLE). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

const IDENT = '([a-z_][a-z0-9_$]*)';

/** The risks of one ADD COLUMN action on an existing table. */
function addColumnRisks(action: string): LockRisk[] {
  const risks: LockRisk[] = [];
  const type = /^add (?:column )?(?:if not exists )?[a-z_][a-z0-9_$]* ([a-z]+)/.exec(action)?.[1];
  if (type && /^(small|big)?serial$/.test(type)) risks.push('table-rewrite');
  if (/\bgenerated (always|by default) as\b/.test(action)) risks.push('table-rewrite');
  // The default's expression ends where the column's next clause begins.
  const defaultExpr =
    /\bdefault (.*?)(?: (?:check|references|not null|null|constraint|unique|primary key|generated)\b.*)?$/.exec(
      action,
    )?.[1];
  if (defaultExpr) {
    const calls = [...defaultExpr.matchAll(/([a-z_][a-z0-9_]*)\s*\(/g)].map((m) => m[1] ?? '');
    if (calls.some((name) => !NON_VOLATILE_DEFAULT_CALLS.has(name))) risks.push('table-rewrite');
  }
  if (/\bcheck\s*\(/.test(action) || /\breferences\b/.test(action)) risks.push('constraint-scan');
  if (/\b(primary key|unique)\b/.test(action)) risks.push('index-build');
  return risks;
}

/** The risks of one action of ALTER TABLE on an existing table. */
function alterActionRisks(action: string): LockRisk[] {
  if (/^add (?!constraint\b)/.test(action)) return addColumnRisks(action);
  if (/^add constraint /.test(action)) {
    if (/\b(primary key|unique)\b/.test(action)) return /\busing index\b/.test(action) ? [] : ['index-build'];
    if (/\bexclude\b/.test(action)) return ['index-build'];
    if (/\b(check|foreign key)\b/.test(action))
      return /\bnot valid\b/.test(action) ? [] : ['constraint-scan'];
    return [];
  }
  if (/^alter (?:column )?[a-z_][a-z0-9_$]* (?:set data )?type\b/.test(action)) return ['table-rewrite'];
  if (/^alter (?:column )?[a-z_][a-z0-9_$]* set not null\b/.test(action)) return ['not-null-scan'];
  if (/^set (tablespace|logged|unlogged|without oids|access method)\b/.test(action)) return ['table-rewrite'];
  return [];
}

/**
 * The lock risks of a migration's statements, in order. Tables the migration creates itself are
 * empty, so nothing done to them is a risk.
 */
export function lockRisks(statements: readonly string[]): LockFinding[] {
  const created = new Set<string>();
  const altered = new Set<string>();
  const findings: LockFinding[] = [];
  const add = (risk: LockRisk, table: string, statement: string) => {
    if (!created.has(table)) findings.push({ risk, table, statement });
  };

  for (const raw of statements) {
    const s = normaliseStatement(raw);
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^create (?:unlogged )?table (?:if not exists )?${IDENT}`).exec(s))) {
      created.add(m[1] ?? '');
    } else if (
      (m = new RegExp(
        `^create (?:unique )?index (concurrently )?(?:if not exists )?(?:${IDENT} )?on (?:only )?${IDENT}`,
      ).exec(s))
    ) {
      add(m[1] ? 'concurrently-in-transaction' : 'index-build', m[3] ?? '', s);
    } else if ((m = new RegExp(`^alter table (?:if exists )?(?:only )?${IDENT} (.*)$`).exec(s))) {
      const table = m[1] ?? '';
      const actions = splitTopLevel(m[2] ?? '');
      const validates = actions.some((a) => a.startsWith('validate constraint'));
      if (validates && altered.has(table)) add('validate-under-lock', table, s);
      if (!validates) altered.add(table);
      for (const risk of new Set(actions.flatMap(alterActionRisks))) add(risk, table, s);
    } else if ((m = new RegExp(`^(?:update (?:only )?|delete from (?:only )?)${IDENT}`).exec(s))) {
      add('bulk-write', m[1] ?? '', s);
    } else if ((m = new RegExp(`^lock (?:table )?(?:only )?${IDENT}`).exec(s))) {
      add('exclusive-maintenance', m[1] ?? '', s);
    } else if ((m = /^(cluster|vacuum|reindex)\b(.*)$/.exec(s))) {
      const target = /([a-z_][a-z0-9_$]*)\s*;?$/.exec(m[2] ?? '')?.[1] ?? '';
      add(/\bconcurrently\b/.test(s) ? 'concurrently-in-transaction' : 'exclusive-maintenance', target, s);
    }
  }
  return findings;
}

/** A driver that answers every statement with no rows and keeps its text. */
class RecordingDriver implements Driver {
  constructor(private readonly statements: string[]) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const statements = this.statements;
    return {
      executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        statements.push(query.sql);
        return Promise.resolve({ rows: [] });
      },
      // Migrations never stream.
      // eslint-disable-next-line require-yield
      async *streamQuery() {
        throw new Error('a migration streamed a query');
      },
    };
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/**
 * The statements a migration's `up` sends, as PostgreSQL would receive them, without a database
 * (every query answers no rows, which the migrations tolerate).
 */
export async function statementsOf(migration: Migration): Promise<string[]> {
  const statements: string[] = [];
  // Kysely<any>, as migrations take it: they do not depend on the app's types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new RecordingDriver(statements),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  try {
    await migration.up(db);
  } finally {
    await db.destroy();
  }
  return statements;
}

/**
 * A migration's explicit opt-outs, one comment line each, with the reason it is safe:
 * `// lock-safety: index-build: usage_daily holds a row per person and day, a few thousand`.
 */
export function optOuts(source: string): Map<LockRisk, string> {
  const allowed = new Map<LockRisk, string>();
  for (const m of source.matchAll(/^\s*\/\/\s*lock-safety:\s*([a-z-]+):\s*(.*)$/gm)) {
    allowed.set(m[1] as LockRisk, (m[2] ?? '').trim());
  }
  return allowed;
}

/** Problems of a migration: each finding without an opt-out, each opt-out without a reason or use. */
export function lockSafetyProblems(findings: readonly LockFinding[], source: string): string[] {
  const allowed = optOuts(source);
  const problems: string[] = [];
  for (const f of findings) {
    if (!allowed.has(f.risk))
      problems.push(
        `${f.risk} on ${f.table}: ${f.statement} (or add "// lock-safety: ${f.risk}: <why it is safe>")`,
      );
  }
  for (const [risk, reason] of allowed) {
    if (!findings.some((f) => f.risk === risk))
      problems.push(`lock-safety opt-out "${risk}" matches no statement`);
    else if (reason.split(/\s+/).length < 4) problems.push(`lock-safety opt-out "${risk}" gives no reason`);
  }
  return problems;
}
