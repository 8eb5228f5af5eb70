import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integration } from '../support/infra.js';
import { UnclassifiedColumnsError } from '../../packages/anonymize/src/index.js';
import { createDb, run, seedShop, sql, SHOP_RULES, type TestDb } from './support.js';

integration('anonymize-data copies the shop through its rules', () => {
  let src: TestDb;
  let dst: TestDb;
  beforeAll(async () => {
    src = await createDb('copy_src');
    dst = await createDb('copy_dst');
    await seedShop(src.name);
  }, 60_000);
  afterAll(async () => {
    await src?.drop();
    await dst?.drop();
  });

  it('masks every rule, keeps keys, constraints, jsonb, partitions and sequences', async () => {
    const result = await run(src, dst, SHOP_RULES);
    expect(result.tables.map((t) => [t.table, t.rows])).toEqual([
      ['public.addresses', 200],
      ['public.audit_log', 0],
      ['public.events', 200],
      ['public.orders', 400],
      ['public.users', 200]
    ]);
    expect(result.leak.findings).toEqual([]);
    const users = await sql<{
      id: number;
      email: string;
      full_name: string;
      phone: string;
      last_ip: string | null;
      notes: string;
      created_at: Date;
    }>(dst.name, 'SELECT * FROM users ORDER BY id');
    expect(users).toHaveLength(200);
    for (const u of users) {
      expect(u.email).toMatch(/^[a-z]+\.[a-z]+\.[0-9a-f]{16}@example\.com$/);
      expect(u.full_name).not.toMatch(/Real Person/);
      expect(u.phone).toMatch(/^\+1-\d{3}-555-01\d\d$/);
      expect(u.last_ip).toBeNull();
      expect(u.notes).toMatch(/^card ####\tend$/);
    }
    const source = await sql<{ id: number; created_at: Date }>(
      src.name,
      'SELECT id, created_at FROM users ORDER BY id'
    );
    const shifted = users.filter((u, i) => u.created_at.getTime() !== source[i]!.created_at.getTime());
    expect(shifted).toHaveLength(200);
    // whole days, time of day kept
    for (const [i, u] of users.entries())
      expect(Math.abs((u.created_at.getTime() - source[i]!.created_at.getTime()) % 86_400_000)).toBe(0);

    const constraints = await sql<{ conname: string; contype: string }>(
      dst.name,
      `SELECT conname, contype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND contype IN ('p','u','f') AND conparentid = 0 ORDER BY conname`
    );
    expect(constraints.map((c) => `${c.conname}:${c.contype}`)).toEqual([
      'addresses_pkey:p',
      'addresses_user_id_fkey:f',
      'audit_log_pkey:p',
      'events_pkey:p',
      'events_user_id_fkey:f',
      'orders_address_id_fkey:f',
      'orders_pkey:p',
      'orders_user_id_fkey:f',
      'users_email_key:u',
      'users_pkey:p'
    ]);
    // rows land in the partitions they came from
    for (const part of ['events_2025', 'events_2026'])
      expect(await sql(dst.name, `SELECT count(*)::int AS n FROM ${part}`)).toEqual(
        await sql(src.name, `SELECT count(*)::int AS n FROM ${part}`)
      );
    expect(await sql(dst.name, `SELECT details FROM orders WHERE id = 1`)).toEqual(
      await sql(src.name, `SELECT details FROM orders WHERE id = 1`)
    );
    // the identity and serial sequences continue past the copied ids
    const [next] = await sql<{ id: number }>(
      dst.name,
      `INSERT INTO users (email, full_name, created_at) VALUES ('n@x', 'n', now()) RETURNING id`
    );
    expect(next!.id).toBe(201);
    const [order] = await sql<{ id: string }>(
      dst.name,
      `INSERT INTO orders (user_id, total, placed_on) VALUES (1, 1, now()) RETURNING id`
    );
    expect(order!.id).toBe('401');
    // the loading schema is gone, and so is the previous one
    expect(
      await sql(dst.name, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'anon\\_%' ESCAPE '\\'`)
    ).toEqual([]);
  }, 120_000);

  it('is deterministic: a second run gives the same rows', async () => {
    const dump = (db: string) =>
      sql(
        db,
        `SELECT u.email, u.full_name, u.phone, u.created_at::text, o.placed_on::text FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id <= 200 ORDER BY o.id`
      );
    await run(src, dst, SHOP_RULES);
    const first = await dump(dst.name);
    await run(src, dst, SHOP_RULES);
    expect(await dump(dst.name)).toEqual(first);
    expect(first).toHaveLength(400);
  }, 120_000);

  it('a column the rules do not name fails before any write, proposing rules to paste', async () => {
    await sql(dst.name, `CREATE TABLE marker (x int); INSERT INTO marker VALUES (42)`);
    await sql(src.name, `ALTER TABLE users ADD COLUMN contact_email text, ADD COLUMN api_token text`);
    try {
      const err = await run(src, dst, SHOP_RULES).then(
        () => null,
        (e: unknown) => e
      );
      expect(err).toBeInstanceOf(UnclassifiedColumnsError);
      const e = err as UnclassifiedColumnsError;
      expect(e.missing.map((m) => `${m.table}.${m.column}`)).toEqual([
        'public.users.contact_email',
        'public.users.api_token'
      ]);
      expect(e.message).toContain('users:\n    columns:\n      contact_email: email');
      expect(e.message).toContain('api_token: hash');
      // nothing written: the target is as it was, no loading schema
      expect(await sql(dst.name, 'SELECT x FROM marker')).toEqual([{ x: 42 }]);
      expect(
        await sql(dst.name, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'anon%'`)
      ).toEqual([{ n: 0 }]);
    } finally {
      await sql(src.name, `ALTER TABLE users DROP COLUMN contact_email, DROP COLUMN api_token`);
      await sql(dst.name, `DROP TABLE marker`);
    }
  }, 60_000);

  it('the leak check catches keep on an email column, and the previous data stays', async () => {
    await run(src, dst, SHOP_RULES);
    const before = await sql(dst.name, 'SELECT email FROM users ORDER BY id LIMIT 3');
    const err = await run(src, dst, SHOP_RULES.replace('email: email', 'email: keep')).then(
      () => null,
      (e: Error) => e
    );
    expect(err?.message).toMatch(/Leak check: .*public\.users\.email \(50 of 50 sampled\)/);
    expect(err?.message).not.toContain('@corp.test');
    expect(await sql(dst.name, 'SELECT email FROM users ORDER BY id LIMIT 3')).toEqual(before);
  }, 120_000);

  it('a where subset keeps every foreign key satisfied', async () => {
    const rules = SHOP_RULES.replace(
      '  users:\n    columns:',
      "  users:\n    where: id % 4 = 0 AND created_at > timestamptz '2026-01-01'\n    columns:"
    );
    const result = await run(src, dst, rules);
    const rows = Object.fromEntries(result.tables.map((t) => [t.table, t.rows]));
    const [kept] = await sql<{ n: number }>(
      src.name,
      `SELECT count(*)::int AS n FROM users WHERE id % 4 = 0 AND created_at > timestamptz '2026-01-01'`
    );
    expect(rows['public.users']).toBe(kept!.n);
    expect(rows['public.orders']).toBe(2 * kept!.n);
    expect(rows['public.addresses']).toBe(kept!.n);
    expect(rows['public.events']).toBe(kept!.n);
    // the constraints were validated when built; check the data too
    expect(
      await sql(
        dst.name,
        `SELECT count(*)::int AS n FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL`
      )
    ).toEqual([{ n: 0 }]);
  }, 120_000);

  it('writes evidence with tables, checksum and masked columns, never values or passwords', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'anon-evidence-')), 'evidence.json');
    const result = await run(src, dst, SHOP_RULES, { evidenceFile: file });
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      rulesChecksum: result.rulesChecksum,
      maskedColumns: result.maskedColumns
    });
    expect(result.maskedColumns).toContain('public.users.email');
    expect(text).not.toContain(new URL(src.url).password);
    expect(text).not.toContain('@corp.test');
    expect(statSync(file).mode & 0o077).toBe(0);
  }, 120_000);

  it('refuses to copy a database onto itself', async () => {
    await expect(run(src, src, SHOP_RULES)).rejects.toThrow(/Input 'target-url': is the source database/);
  });
});
