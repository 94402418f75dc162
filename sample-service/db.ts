// PostgreSQL access: the `items` table and a cheap liveness probe.
//
// Blue and green run side by side against one database, so the pool is small (max 5) and every
// timeout is short: an unreachable database must turn into a quick 503, never a pile of hung
// requests or a crash.
import { Pool } from "pg";

export interface Item {
    id: number;
    name: string;
    created_at: string;
}

/** Rows returned by GET /api/items; the sample table is small, the bound keeps it so. */
export const ITEMS_LIMIT = 100;

// Postgres error codes seen when two processes create the table at the same moment: the loser
// of the race gets one of these although the table now exists, which is what it wanted.
const ALREADY_EXISTS_CODES = new Set(["42P07", "23505"]);

/** The pool's use right now, for /metrics and `npm run db:check -- --sessions`. */
export interface PoolUse {
    total: number;
    idle: number;
    waiting: number;
    max: number;
}

export const POOL_MAX = 5;

export class ItemsDatabase {
    private readonly pool: Pool;
    private schemaReady = false;

    /** `applicationName` is what pg_stat_activity shows for this process's connections. */
    constructor(connectionString: string, onPoolError: (message: string) => void, applicationName = "runbook-sample-service") {
        this.pool = new Pool({
            connectionString,
            max: POOL_MAX,
            connectionTimeoutMillis: 1_000,
            idleTimeoutMillis: 10_000,
            query_timeout: 2_000,
            application_name: applicationName,
        });
        // An idle client losing its connection (database restart, network drop) emits "error"
        // on the pool; without a listener Node would throw it and end the process.
        this.pool.on("error", (err) => onPoolError(err.message));
    }

    /**
     * One round trip to the database. The first successful probe also creates the table, so a
     * service started before its database still ends up with a schema. The schema is owned by
     * sample-service/migrations (001_items creates the same table with `if not exists`, so either
     * may come first); this stays as the fallback of a database no deploy has migrated yet.
     */
    async probe(): Promise<void> {
        if (this.schemaReady) {
            await this.pool.query("select 1");
            return;
        }
        try {
            await this.pool.query(`create table if not exists items (
                id serial primary key,
                name text not null,
                created_at timestamptz default now()
            )`);
        } catch (err) {
            if (!ALREADY_EXISTS_CODES.has((err as { code?: string }).code ?? "")) {
                throw err;
            }
        }
        this.schemaReady = true;
    }

    poolUse(): PoolUse {
        return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: POOL_MAX };
    }

    async listItems(): Promise<Item[]> {
        const result = await this.pool.query<Item>(
            "select id, name, created_at from items order by id desc limit $1", [ITEMS_LIMIT]);
        return result.rows;
    }

    async insertItem(name: string): Promise<Item> {
        const result = await this.pool.query<Item>(
            "insert into items (name) values ($1) returning id, name, created_at", [name]);
        return result.rows[0];
    }

    async close(): Promise<void> {
        await this.pool.end();
    }
}
