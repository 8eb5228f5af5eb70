import pg from 'pg';
import { captureLogger, LocalExecutor } from '../../packages/core/src/index.js';
import { parseDatabaseUrl } from '../../packages/migrate/src/index.js';
import {
  anonymize,
  type AnonymizeOptions,
  type AnonymizeResult
} from '../../packages/anonymize/src/index.js';
import { infra } from '../support/infra.js';

/** Per-test databases `anon_<label>_<pid>` on the lab's PostgreSQL, dropped afterwards. */
export function adminUrl(database = 'postgres'): string {
  const p = infra().postgres;
  return `postgres://${p.user}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${database}`;
}

export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
  database: string,
  text: string,
  params: unknown[] = []
): Promise<T[]> {
  const c = new pg.Client({ connectionString: adminUrl(database) });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export interface TestDb {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createDb(label: string): Promise<TestDb> {
  const name = `anon_${label}_${process.pid}`;
  await sql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await sql('postgres', `CREATE DATABASE ${name}`);
  return {
    name,
    url: adminUrl(name),
    drop: () => sql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)
  };
}

/** The shop: users, addresses and orders with foreign keys, unique emails, jsonb, identity, a partitioned table. */
export const SHOP_SCHEMA = `
CREATE TABLE users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  full_name text NOT NULL,
  phone text,
  last_ip inet,
  notes text,
  created_at timestamptz NOT NULL
);
CREATE TABLE addresses (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users(id),
  street text NOT NULL,
  city text NOT NULL
);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users(id),
  address_id integer REFERENCES addresses(id),
  total numeric(10,2) NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  placed_on date NOT NULL
);
CREATE TABLE events (
  id bigint NOT NULL,
  at date NOT NULL,
  user_id integer REFERENCES users(id),
  kind text NOT NULL,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE audit_log (id serial PRIMARY KEY, message text NOT NULL);
`;

export async function seedShop(db: string, users = 200): Promise<void> {
  await sql(db, SHOP_SCHEMA);
  await sql(
    db,
    `INSERT INTO users (email, full_name, phone, last_ip, notes, created_at)
     SELECT 'person' || g || '@corp.test', 'Real Person ' || g, '+44 20 7946 ' || lpad(g::text, 4, '0'),
            ('10.0.' || (g % 250) || '.' || (g % 200 + 1))::inet, 'card 4111111111' || lpad(g::text, 6, '0') || E'\\tend',
            timestamptz '2026-06-01 12:00:00+00' - (g || ' days')::interval
       FROM generate_series(1, $1) g`,
    [users]
  );
  await sql(
    db,
    `INSERT INTO addresses (user_id, street, city) SELECT id, id || ' Main Street', 'Springfield' FROM users`
  );
  await sql(
    db,
    `INSERT INTO orders (user_id, address_id, total, details, placed_on)
     SELECT u.id, a.id, (u.id * 3 + k)::numeric / 7, jsonb_build_object('items', k, 'gift', k % 2 = 0), date '2026-06-01' - u.id
       FROM users u JOIN addresses a ON a.user_id = u.id CROSS JOIN generate_series(1, 2) k`
  );
  await sql(
    db,
    `INSERT INTO events (id, at, user_id, kind) SELECT id, date '2025-12-20' + (id % 20), id, 'login' FROM users`
  );
  await sql(db, `INSERT INTO audit_log (message) SELECT 'secret thing ' || g FROM generate_series(1, 10) g`);
}

export const SHOP_RULES = `
tables:
  users:
    columns:
      id: keep
      email: email
      full_name: name
      phone: phone
      last_ip: null
      notes: { regex-replace: { pattern: '\\d{4,}', with: '####' } }
      created_at: shift-date
  addresses:
    columns:
      id: keep
      user_id: keep
      street: { constant: '1 Example Road' }
      city: keep
  orders:
    columns:
      id: keep
      user_id: keep
      address_id: keep
      total: keep
      details: keep
      placed_on: { shift-date: { max-days: 30 } }
  events:
    columns:
      id: keep
      at: keep
      user_id: keep
      kind: keep
  audit_log:
    truncate: true
`;

export const SALT = 'test-salt-8c1f';

export async function run(
  src: TestDb,
  dst: TestDb,
  rulesText: string,
  extra: Partial<AnonymizeOptions> = {}
): Promise<AnonymizeResult> {
  return anonymize(
    {
      source: parseDatabaseUrl(src.url, 'source-url'),
      target: parseDatabaseUrl(dst.url, 'target-url'),
      rulesText,
      rulesFile: 'anonymize.yml',
      salt: SALT,
      schemas: ['public'],
      pgBin: infra().postgres.bin,
      leakSample: 50,
      ...extra
    },
    { logger: captureLogger(), executor: new LocalExecutor() }
  );
}
