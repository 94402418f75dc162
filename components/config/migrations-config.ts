// The `migrations.*` keys: where a release's database migrations are and how `npm run deploy` and
// `npm run migrate` run them (components/migrate/).
import { z } from "zod";
import { boolean } from "./schema-helpers";

/** The sample service's migrations, relative to the project. */
export const DEFAULT_MIGRATIONS_DIRECTORY = "sample-service/migrations";

export const migrationsConfigSchema = z
  .object({
    /** Run pending migrations during `npm run deploy` (after the backup, before the first step). Defaults to true. */
    enabled: boolean().default(true),
    /** The folder of migration files, relative to the project. Defaults to sample-service/migrations. */
    directory: z.string().min(1, { message: "must name a folder" }).default(DEFAULT_MIGRATIONS_DIRECTORY),
    /** The schema they run in, which also holds the migrations table. Defaults to public. */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "must be a schema name: lowercase letters, digits and _, not starting with a digit" })
      .default("public"),
    /** Apply statements the backward-compatibility check refuses (DROP, RENAME, ...). Defaults to false. */
    allowIncompatible: boolean().default(false),
  })
  .strict()
  .default({});

export type MigrationsConfig = z.infer<typeof migrationsConfigSchema>;
