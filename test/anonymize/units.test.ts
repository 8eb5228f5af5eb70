import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  classify,
  keyed,
  MaskStream,
  decodeField,
  encodeField,
  makeValueFn,
  parseRules,
  pgDumpSectionArgv,
  planCopy,
  proposalYaml,
  schemaDdl,
  selectSql,
  shiftDateText,
  UnclassifiedColumnsError,
  type TableInfo
} from '../../packages/anonymize/src/index.js';

const col = (name: string, type = 'text', nullable = true) => ({ name, type, nullable, generated: false });
const users: TableInfo = {
  name: 'public.users',
  schema: 'public',
  table: 'users',
  partitioned: false,
  columns: [col('id', 'integer', false), col('email', 'text', false), col('born', 'date')],
  primaryKey: ['id'],
  foreignKeys: []
};
const orders: TableInfo = {
  name: 'public.orders',
  schema: 'public',
  table: 'orders',
  partitioned: false,
  columns: [col('id', 'integer', false), col('user_id', 'integer')],
  primaryKey: ['id'],
  foreignKeys: [
    { name: 'orders_user_id_fkey', columns: ['user_id'], parent: 'public.users', parentColumns: ['id'] }
  ]
};

describe('the rules file', () => {
  it('parses every transformer form', () => {
    const r = parseRules(`
tables:
  users:
    where: id > 10
    columns: { id: keep, email: email, born: { shift-date: { max-days: 9 } }, a: null, b: { constant: x }, c: { hash: { length: 12 } }, d: { regex-replace: { pattern: 'a+', with: b } } }
  audit.log: { truncate: true }
`);
    expect([...r.tables.keys()]).toEqual(['public.users', 'audit.log']);
    const u = r.tables.get('public.users')!;
    expect(u.where).toBe('id > 10');
    expect(Object.fromEntries(u.columns)).toEqual({
      id: { kind: 'keep' },
      email: { kind: 'email' },
      born: { kind: 'shift-date', maxDays: 9 },
      a: { kind: 'null' },
      b: { kind: 'constant', value: 'x' },
      c: { kind: 'hash', length: 12 },
      d: { kind: 'regex-replace', pattern: 'a+', with: 'b' }
    });
    expect(r.tables.get('audit.log')!.truncate).toBe(true);
    expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [
      'tables: { users: { columns: { email: mask } } }',
      /tables\.users\.columns\.email': "mask" is not a transformer\. Fix: use one of: keep, null/
    ],
    ['tables: { users: { columns: { email: constant } } }', /columns\.email': constant needs options/],
    [
      "tables: { users: { columns: { n: { regex-replace: { pattern: '(', with: x } } } } }",
      /columns\.n': pattern is not a valid regular expression/
    ],
    [
      'tables: { users: { where: "1=1; DROP TABLE x", columns: {} } }',
      /tables\.users\.where': has unbalanced parentheses, quotes or a `;`/
    ],
    ['tables: { users: { truncate: true, where: "x" } }', /is given with truncate: true/],
    ['tables: { users: { colums: {} } }', /tables\.users\.colums': is not a known key/],
    [
      'tables: { users: { columns: { c: { hash: { length: 2 } } } } }',
      /hash\.length must be a whole number from 8 to 64/
    ],
    ['users: {}', /rules: users': is not a known key\. Fix: the file has one key/]
  ])('%s is refused with the place and the fix', (text, message) => {
    expect(() => parseRules(text)).toThrow(message);
  });
});

describe('planning against the source schema', () => {
  const rules = (text: string) => parseRules(text);
  it('a column without a rule fails, proposing rules by name and type', () => {
    const t = {
      ...users,
      columns: [
        ...users.columns,
        col('work_phone'),
        col('last_name'),
        col('ip_address', 'inet'),
        col('reset_token'),
        col('shoe_size', 'integer')
      ]
    };
    let err: unknown;
    try {
      planCopy(rules('tables: { users: { columns: { id: keep, email: email, born: keep } } }'), [t]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnclassifiedColumnsError);
    expect((err as UnclassifiedColumnsError).proposal).toBe(
      [
        'tables:',
        '  users:',
        '    columns:',
        '      work_phone: phone   # looks like phone (text)',
        '      last_name: name   # looks like name (text)',
        '      ip_address: null   # looks like ip (inet)',
        '      reset_token: hash   # looks like token (text)',
        '      shoe_size: keep   # integer: check it holds no personal data'
      ].join('\n')
    );
  });

  it.each([
    [
      'tables: { users: { columns: { id: keep, email: null, born: keep } } }',
      /columns\.email': is null, but email is NOT NULL/
    ],
    [
      'tables: { users: { columns: { id: hash, email: email, born: keep } } }',
      /columns\.id': hash writes text, but id is integer/
    ],
    [
      'tables: { users: { columns: { id: keep, email: shift-date, born: keep } } }',
      /shift-date needs a date or timestamp/
    ],
    [
      'tables: { users: { columns: { id: keep, email: email, born: keep, age: keep } } }',
      /columns\.age': is not a column of public\.users/
    ],
    ['tables: { people: { columns: {} } }', /tables\.public\.people': is not a table of the source/]
  ])('%s is refused', (text, message) => {
    expect(() => planCopy(rules(text), [users])).toThrow(message);
  });

  it('shift-date on a table without a primary key is refused', () => {
    expect(() =>
      planCopy(rules('tables: { users: { columns: { id: keep, email: email, born: shift-date } } }'), [
        { ...users, primaryKey: [] }
      ])
    ).toThrow(/keys its offset on the primary key, and public\.users has none/);
  });

  it('a where on a parent limits the tables that reference it', () => {
    const plans = planCopy(
      rules(
        'tables: { users: { where: "id > 5", columns: { id: keep, email: email, born: keep } }, orders: { columns: { id: keep, user_id: keep } } }'
      ),
      [users, orders]
    );
    expect(selectSql(plans[1]!)).toBe(
      'SELECT "id", "user_id" FROM "public"."orders" WHERE ("public"."orders"."user_id" IS NULL OR EXISTS (SELECT 1 FROM "public"."users" p_orders_user_id_fkey WHERE p_orders_user_id_fkey."id" = "public"."orders"."user_id" AND (id > 5)))'
    );
    const truncated = planCopy(
      rules('tables: { users: { truncate: true }, orders: { columns: { id: keep, user_id: keep } } }'),
      [users, orders]
    );
    expect(truncated[1]!.filter).toContain('AND false))');
  });
});

describe('transformers', () => {
  const v = (kind: Parameters<typeof makeValueFn>[0], value: string | null, salt = 's1') =>
    makeValueFn(kind, salt, 'public.t')(value, () => '7');
  it('are deterministic, keyed by the salt, and keep NULL', () => {
    for (const kind of [
      { kind: 'email' },
      { kind: 'name' },
      { kind: 'phone' },
      { kind: 'hash', length: 32 }
    ] as const) {
      expect(v(kind, 'ann@corp.test')).toBe(v(kind, 'ann@corp.test'));
      expect(v(kind, 'ann@corp.test')).not.toBe(v(kind, 'ann@corp.test', 's2'));
      expect(v(kind, null)).toBeNull();
    }
    expect(v({ kind: 'email' }, 'ann@corp.test')).toMatch(/^[a-z]+\.[a-z]+\.[0-9a-f]{16}@example\.com$/);
    expect(v({ kind: 'hash', length: 12 }, 'x')).toMatch(/^[0-9a-f]{12}$/);
    expect(v({ kind: 'regex-replace', pattern: '\\d{4,}', with: '#' }, 'a 12345 b 12 c 99999')).toBe(
      'a # b 12 c #'
    );
    expect(v({ kind: 'constant', value: 'c' }, 'x')).toBe('c');
    expect(v({ kind: 'null' }, 'x')).toBeNull();
  });

  it('distinct emails stay distinct', () => {
    const fakes = new Set(Array.from({ length: 20_000 }, (_, i) => v({ kind: 'email' }, `u${i}@corp.test`)));
    expect(fakes.size).toBe(20_000);
  });

  it('shift-date moves the date by whole days, keyed on the row, keeping time and zone', () => {
    expect(shiftDateText('2026-02-27 10:11:12.5+00', 3)).toBe('2026-03-02 10:11:12.5+00');
    expect(shiftDateText('2024-01-01', -1)).toBe('2023-12-31');
    expect(shiftDateText('infinity', 5)).toBe('infinity');
    const f = makeValueFn({ kind: 'shift-date', maxDays: 10 }, 's', 'public.t');
    expect(f('2026-01-15', () => '1')).toBe(f('2026-01-15', () => '1'));
    const offsets = new Set(Array.from({ length: 50 }, (_, i) => f('2026-01-15', () => String(i))));
    expect(offsets.size).toBeGreaterThan(5);
  });
});

describe('COPY text format', () => {
  it('round-trips escapes and NULL', () => {
    for (const s of ['plain', 'tab\there', 'line\nbreak', 'back\\slash', 'cr\r', '', 'ünï€'])
      expect(decodeField(encodeField(s))).toBe(s);
    expect(decodeField('\\N')).toBeNull();
    expect(encodeField(null)).toBe('\\N');
    expect(decodeField('\\101\\x42')).toBe('AB');
  });
});

describe('the masking stream', () => {
  it('keys exactly as HMAC-SHA256 does, for every length around the block edges and any key', () => {
    for (const salt of ['s', 'bench-salt-0123456789', 'k'.repeat(64), 'long-'.repeat(30), 'sälz€'])
      for (const value of [
        '',
        'a',
        'ünï€𝄞',
        ...[47, 48, 55, 56, 63, 64, 119, 120, 500].map((n) => 'x'.repeat(n))
      ])
        expect(keyed(salt, 'email', value).toString('hex')).toBe(
          createHmac('sha256', salt).update('email').update('\0').update(value).digest('hex')
        );
  });

  const rules = (text: string) => parseRules(text);
  /** The reference: split every row, decode, transform and encode every field. */
  const reference = (plan: ReturnType<typeof planCopy>[number], salt: string, text: string) => {
    const fns = plan.columns.map((c) => makeValueFn(c.transformer, salt, plan.info.name, c.info.maxLength));
    const pk = plan.info.primaryKey.map((k) => plan.columns.findIndex((c) => c.info.name === k));
    return text
      .split('\n')
      .slice(0, -1)
      .map((line) => {
        const fields = line.split('\t');
        const key = () => pk.map((i) => decodeField(fields[i]!) ?? '').join('\t');
        return fields.map((f, i) => encodeField(fns[i]!(decodeField(f), key))).join('\t');
      })
      .map((l) => `${l}\n`)
      .join('');
  };
  const run = async (plan: ReturnType<typeof planCopy>[number], chunks: Buffer[]) => {
    const mask = new MaskStream(plan, 'salt-1');
    const out: Buffer[] = [];
    for await (const b of Readable.from(chunks).pipe(mask)) out.push(b as Buffer);
    return { text: Buffer.concat(out).toString('utf8'), rows: mask.rows };
  };
  const wide: TableInfo = {
    ...users,
    name: 'public.wide',
    table: 'wide',
    columns: ['id', 'a', 'email', 'b', 'born', 'note', 'c'].map((n) =>
      col(n, n === 'id' ? 'integer' : n === 'born' ? 'date' : 'text', n !== 'id')
    )
  };
  const rows =
    [
      '1\tkeep me\tann@corp.test\tx\t2026-01-15\tcall 123456 now\ttail',
      '2\t\\N\t\\N\t\t\\N\t\\N\t',
      '3\ttab\\there\tb\\\\ob@corp.test\tnl\\nx\t2024-02-29\tünï€ 99999 𝄞\t\\\\',
      '4\t\t\t\t2026-12-31\tline\\nbreak 4444\tz'
    ].join('\n') + '\n';

  it('gives the bytes of field-by-field masking, however the input is cut', async () => {
    const [plan] = planCopy(
      rules(
        'tables: { wide: { columns: { id: keep, a: keep, email: email, b: keep, born: shift-date, note: { regex-replace: { pattern: "[0-9]{4,}", with: "#\\t\\\\" } }, c: keep } } }'
      ),
      [wide]
    );
    const want = reference(plan!, 'salt-1', rows);
    expect(want).not.toBe(rows);
    const bytes = Buffer.from(rows);
    for (const cut of [1, 2, 3, 7, 16, 64, bytes.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += cut) chunks.push(bytes.subarray(i, i + cut));
      const got = await run(plan!, chunks);
      expect(got.text).toBe(want);
      expect(got.rows).toBe(4);
    }
  });

  it('passes a table with nothing to mask through untouched, and refuses a row with missing fields', async () => {
    const [keepAll] = planCopy(
      rules(
        'tables: { wide: { columns: { id: keep, a: keep, email: keep, b: keep, born: keep, note: keep, c: keep } } }'
      ),
      [wide]
    );
    expect((await run(keepAll!, [Buffer.from(rows)])).text).toBe(rows);
    const [masked] = planCopy(
      rules(
        'tables: { wide: { columns: { id: keep, a: keep, email: keep, b: keep, born: keep, note: keep, c: hash } } }'
      ),
      [wide]
    );
    await expect(run(masked!, [Buffer.from('1\ta\tb\n')])).rejects.toThrow(/different number of fields/);
    await expect(run(masked!, [Buffer.from('1\ta\tb\tc\td\te\tf\tg\n')])).rejects.toThrow(
      /different number of fields/
    );
    await expect(run(masked!, [Buffer.from('1\ta')])).rejects.toThrow(/ended inside a row/);
  });
});

describe('classifier and schema', () => {
  it.each([
    ['email', 'text', 'email'],
    ['billing_email', 'text', 'email'],
    ['mobile', 'text', 'phone'],
    ['first_name', 'text', 'name'],
    ['company_name', 'text', 'name'],
    ['ip', 'inet', 'ip'],
    ['client', 'inet', 'ip'],
    ['api_key', 'text', 'token'],
    ['total', 'numeric', null],
    ['username', 'text', null]
  ])('%s (%s) is %s', (name, type, kind) => {
    expect(classify(name, type)).toBe(kind);
  });

  it('pg_dump runs schema-only in the snapshot, password never in argv', () => {
    expect(pgDumpSectionArgv('pre-data', ['public'], '00000003-1', '/pg/bin')).toEqual([
      '/pg/bin/pg_dump',
      '--no-password',
      '--schema-only',
      '--section=pre-data',
      '--no-owner',
      '--no-privileges',
      '--snapshot=00000003-1',
      '--schema',
      'public'
    ]);
    expect(
      schemaDdl('\\restrict k\nCREATE SCHEMA public;\nCREATE TABLE public.t (x int);\n\\unrestrict k')
    ).toBe('CREATE TABLE public.t (x int);');
    expect(proposalYaml([{ table: 'crm.people', column: 'email', type: 'text', nullable: true }])).toContain(
      '  crm.people:\n    columns:\n      email: email'
    );
  });
});
