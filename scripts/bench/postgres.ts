/*
 * What the benchmarks on PostgreSQL share: the options of their wrapper
 * (scripts/bench/with-postgres.sh starts a throwaway server unless --pg URL
 * is given) and the server they create their own databases on.
 */
import knexFactory, { Knex } from 'knex';
import { UsageError } from './report';

/** The PostgreSQL options every such bench takes. */
export interface PostgresOptions {
  pg?: string;
  /** Set by the wrapper for the PostgreSQL it started. */
  ownPostgres: boolean;
}

/**
 * The options of the wrapper, for {@link parseArgs}: `--pg URL`,
 * `--own-postgres` and `--fsync on|off` (applied by the wrapper when it
 * starts the server; only checked here).
 */
export function postgresArgs(o: PostgresOptions) {
  return {
    flags: {
      '--own-postgres': () => {
        o.ownPostgres = true;
      },
    },
    values: {
      '--pg': (value: string | undefined) => {
        o.pg = value;
        if (!o.pg) throw new UsageError('--pg needs a URL');
      },
      '--fsync': (value: string | undefined) => {
        if (value !== 'on' && value !== 'off') {
          throw new UsageError(`--fsync ${value}: on or off`);
        }
      },
    },
  };
}

/** No --pg: a UsageError naming the wrapper `scripts/bench/<bench>`. */
export function requirePostgres(o: PostgresOptions, bench: string): void {
  if (!o.pg) {
    throw new UsageError(
      `no PostgreSQL: pass --pg URL, or run through scripts/bench/${bench}, which starts one`,
    );
  }
}

/** Creates and drops the bench's databases on one PostgreSQL server. */
export class PgServer {
  private readonly admin: Knex;
  private readonly created: string[] = [];
  private readonly connection: Knex.PgConnectionConfig;

  constructor(url: string) {
    const u = new URL(url);
    this.connection = {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username) || undefined,
      password: decodeURIComponent(u.password) || undefined,
      database: u.pathname.slice(1) || 'postgres',
    };
    this.admin = knexFactory({
      client: 'pg',
      connection: this.connection,
      pool: { min: 0, max: 1 },
    });
  }

  /** The databases created so far. */
  get databases(): number {
    return this.created.length;
  }

  /** `PostgreSQL <version> at <host>:<port>; <setting>=<value>, …` */
  async describe(
    settings: string[] = ['fsync', 'synchronous_commit'],
  ): Promise<string> {
    const [version, ...values] = await Promise.all(
      ['server_version', ...settings].map(async s => {
        const r = await this.admin.raw(`SHOW ${s}`);
        return String(Object.values(r.rows[0])[0]);
      }),
    );
    return `PostgreSQL ${version} at ${this.connection.host}:${
      this.connection.port
    }; ${settings.map((s, i) => `${s}=${values[i]}`).join(', ')}`;
  }

  /**
   * A fresh database `name` migrated with `migrations`, its connection and
   * a knex on it — by default with knex's default pool (min 2, max 10:
   * what a Backstage plugin's database gets unless configured).
   */
  async createDatabase(
    name: string,
    migrations: string,
    pool: Knex.PoolConfig = { min: 2, max: 10 },
  ): Promise<{ knex: Knex; connection: Knex.PgConnectionConfig }> {
    await this.admin.raw('CREATE DATABASE ??', [name]);
    this.created.push(name);
    const connection = { ...this.connection, database: name };
    const knex = knexFactory({ client: 'pg', connection, pool });
    await knex.migrate.latest({ directory: migrations });
    return { knex, connection };
  }

  /** Drops the databases created (unless `keep`) and disconnects. */
  async close(keep = false) {
    for (const name of this.created.splice(0)) {
      if (keep) continue;
      await this.admin
        .raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name])
        .catch(() => {});
    }
    await this.admin.destroy();
  }
}

/** The rows of `from` (matching `where`). */
export const count = async (knex: Knex, from: string, where: object = {}) =>
  Number(
    (
      (await knex(from).where(where).count({ n: '*' })) as Array<{
        n: number | string;
      }>
    )[0].n,
  );
