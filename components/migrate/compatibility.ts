// The runbook's "database migrations: backward compatible" as a check: during a blue/green rollout
// the old release keeps serving against the migrated schema, so a pending migration may only add
// to it. Each migration's SQL is parsed by PostgreSQL's own parser (libpg-query, compiled to
// WebAssembly: no native build) and the statements the running release cannot survive are named.
import { loadModule, parseSync } from "libpg-query";

/** A migration file's up SQL, as the migration tool will run it. */
export interface MigrationSql {
  /** The migration's name (its file name without the extension). */
  name: string;
  /** The file, as shown in messages. */
  file: string;
  sql: string;
}

export type IncompatibleKind = "drop-table" | "drop-column" | "rename-table" | "rename-column" | "add-column-not-null" | "alter-column-type" | "unparsable" | "not-sql";

export interface Incompatibility {
  file: string;
  kind: IncompatibleKind;
  /** The statement as written in the file (whitespace collapsed). */
  statement: string;
  reason: string;
}

/**
 * A line in a migration that accepts its incompatible statements (after a person checked that no
 * running release uses what they change), for example `-- runbook:allow-incompatible items.legacy
 * is unused since v2.0.0`.
 */
export const ALLOW_MARKER = "runbook:allow-incompatible";
const ALLOW_LINE = new RegExp(`^\\s*--\\s*${ALLOW_MARKER}\\b`, "m");

/** Whether the migration's SQL carries the allow marker. */
export function allowsIncompatible(sql: string): boolean {
  return ALLOW_LINE.test(sql);
}

/** Loads the parser (WebAssembly); once per process, before checkMigration. */
export async function loadParser(): Promise<void> {
  await loadModule();
}

// Node shapes of the parse tree this check reads (PostgreSQL's, as JSON); everything else is ignored.
type Node = Record<string, unknown>;
interface ColumnDef {
  colname?: string;
  typeName?: { names?: { String?: { sval?: string } }[] };
  constraints?: { Constraint?: { contype?: string } }[];
}

const SERIAL_TYPES = new Set(["serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"]);

function relationName(rel: unknown): string {
  const r = (rel ?? {}) as { schemaname?: string; relname?: string };
  return r.schemaname ? `${r.schemaname}.${r.relname}` : String(r.relname ?? "?");
}

/** Whether an added column rejects the NULL every existing row would get (and old releases' inserts leave out). */
function notNullWithoutDefault(def: ColumnDef): boolean {
  const types = new Set((def.constraints ?? []).map((c) => c.Constraint?.contype));
  const required = types.has("CONSTR_NOTNULL") || types.has("CONSTR_PRIMARY");
  const typeName = def.typeName?.names?.map((n) => n.String?.sval).pop() ?? "";
  const filled = types.has("CONSTR_DEFAULT") || types.has("CONSTR_IDENTITY") || types.has("CONSTR_GENERATED") || SERIAL_TYPES.has(typeName);
  return required && !filled;
}

/** Why one parsed statement breaks the running release, or nothing when it does not. */
function problemsOf(stmt: Node): { kind: IncompatibleKind; reason: string }[] {
  const [type, body] = Object.entries(stmt)[0] ?? [];
  const b = (body ?? {}) as Node;
  if (type === "DropStmt" && b.removeType === "OBJECT_TABLE") {
    return [{ kind: "drop-table", reason: "drops a table the running release may still read or write" }];
  }
  if (type === "RenameStmt" && b.renameType === "OBJECT_TABLE") {
    return [{ kind: "rename-table", reason: `renames table ${relationName(b.relation)} to ${String(b.newname)}: the running release still uses the old name` }];
  }
  if (type === "RenameStmt" && b.renameType === "OBJECT_COLUMN") {
    return [{ kind: "rename-column", reason: `renames column ${relationName(b.relation)}.${String(b.subname)} to ${String(b.newname)}: the running release still uses the old name` }];
  }
  if (type !== "AlterTableStmt") return [];
  const table = relationName(b.relation);
  const out: { kind: IncompatibleKind; reason: string }[] = [];
  for (const c of (b.cmds ?? []) as { AlterTableCmd?: { subtype?: string; name?: string; def?: { ColumnDef?: ColumnDef } } }[]) {
    const cmd = c.AlterTableCmd ?? {};
    if (cmd.subtype === "AT_DropColumn") {
      out.push({ kind: "drop-column", reason: `drops column ${table}.${cmd.name}: the running release may still read or write it` });
    } else if (cmd.subtype === "AT_AlterColumnType") {
      out.push({ kind: "alter-column-type", reason: `changes the type of ${table}.${cmd.name}: the running release reads and writes the old type (and the rewrite locks the table)` });
    } else if (cmd.subtype === "AT_AddColumn" && cmd.def?.ColumnDef && notNullWithoutDefault(cmd.def.ColumnDef)) {
      out.push({ kind: "add-column-not-null", reason: `adds ${table}.${cmd.def.ColumnDef.colname} NOT NULL without a DEFAULT: the running release's inserts do not set it and fail` });
    }
  }
  return out;
}

/** The statement text at a byte range of `sql` (the parser's locations are byte offsets), on one line. */
function statementText(sql: string, location = 0, length = 0): string {
  const bytes = Buffer.from(sql, "utf8");
  const text = bytes.subarray(location, length ? location + length : undefined).toString("utf8");
  return text
    .split("\n")
    .map((l) => l.replace(/--.*$/, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The statements of one migration the running release cannot survive (none when the migration
 * carries the allow marker). SQL the parser refuses is reported too: what cannot be read cannot be
 * judged compatible. Needs loadParser() first.
 */
export function checkMigration(m: MigrationSql): Incompatibility[] {
  if (allowsIncompatible(m.sql)) return [];
  let parsed: { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = parseSync(m.sql) as never;
  } catch (e) {
    return [{ file: m.file, kind: "unparsable", statement: statementText(m.sql).slice(0, 200), reason: `PostgreSQL's parser refuses it: ${(e as Error).message}` }];
  }
  return (parsed.stmts ?? []).flatMap((s) =>
    problemsOf(s.stmt ?? {}).map((p) => ({ file: m.file, kind: p.kind, statement: statementText(m.sql, s.stmt_location, s.stmt_len), reason: p.reason })),
  );
}

/** One block naming every refused statement and how to allow them. */
export function describeIncompatible(found: Incompatibility[]): string {
  const lines = found.map((f) => `  - ${f.file}: "${f.statement}": ${f.reason}`);
  return [
    `${found.length} statement${found.length === 1 ? "" : "s"} the running release cannot survive (nothing was applied):`,
    ...lines,
    `make the change in steps the old release survives (add, backfill, switch releases, then remove in a later migration), or, once no running release uses it, allow it with a line "-- ${ALLOW_MARKER} <why>" in the migration or with --allow-incompatible (deploy: migrations.allowIncompatible)`,
  ].join("\n");
}
