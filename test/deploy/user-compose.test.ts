import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InputError, InputReader } from '../../packages/core/src/index.js';
import { parseComposeFile } from '../../packages/compose/src/index.js';
import {
  chooseAccessories,
  planUserCompose,
  readDeployInputs,
  readShipped,
  SHIP_LIMIT_BYTES,
  type UserComposeOptions
} from '../../packages/deploy/src/index.js';

const base: UserComposeOptions = {
  app: 'shop',
  environment: 'prod',
  slotted: true,
  accessories: [],
  dataPaths: [],
  portVar: 'PORT',
  exists: () => false
};
const plan = (text: string, o: Partial<UserComposeOptions> = {}) =>
  planUserCompose([text], { ...base, ...o });
const doc = (text: string) =>
  parse(text) as { services: Record<string, Record<string, unknown>>; networks?: Record<string, unknown> };
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('not refused');
};

describe('compose files as users write them (the plan, pure)', () => {
  it('publishes the web service per slot on 127.0.0.1 and drops the other host ports and container names', () => {
    const p = plan(
      `services:\n  web:\n    image: a\n    container_name: shop\n    ports: ['80:8000']\n  worker:\n    image: b\n    ports: ['9000:9000']\n    expose: [1]\n`,
      { webService: 'web' }
    );
    expect(p.web).toEqual({ service: 'web', containerPort: 8000, how: 'web-service' });
    const out = doc(p.texts[0]!);
    expect(out.services.web!.ports).toEqual(['127.0.0.1:${PORT:-0}:8000']);
    expect(out.services.web!.container_name).toBeUndefined();
    expect(out.services.worker!.ports).toBeUndefined();
    expect(p.droppedPorts).toEqual([
      { service: 'web', mapping: '80:8000' },
      { service: 'worker', mapping: '9000:9000' }
    ]);
    expect(p.droppedNames).toEqual([{ service: 'web', name: 'shop' }]);
  });

  it('keeps comments, and changes nothing under recreate or with host networking', () => {
    const text = `# mine\nservices:\n  web:\n    image: a # pinned\n    ports: ['80:80']\n    container_name: x\n`;
    const r = plan(text, { slotted: false });
    expect(r.changed).toBe(false);
    expect(r.texts[0]).toBe(text);
    const host = plan(`services:\n  web:\n    image: a\n    network_mode: host\n`);
    expect(host.web).toBeUndefined();
    expect(host.changed).toBe(false);
    expect(plan(text).texts[0]).toContain('# pinned');
  });

  it('names the candidates, the service and the fix when it cannot tell the web service or its port', () => {
    expect(
      refusal(() =>
        plan(
          `services:\n  a:\n    image: x\n    ports: ['80:80']\n  b:\n    image: y\n    ports: ['81:81']\n`
        )
      )
    ).toMatch(/web-service.*services a, b all publish ports.*set `web-service: b`/);
    for (const ports of [`['53:53/udp']`, `['8000-8002:8000-8002']`, `['80:80', '443:443']`])
      expect(refusal(() => plan(`services:\n  web:\n    image: x\n    ports: ${ports}\n`))).toMatch(
        /app-port.*service web/
      );
    expect(
      plan(`services:\n  web:\n    image: x\n    ports: ['80:80', '443:443']\n`, { appPort: 443 }).web
    ).toEqual({
      service: 'web',
      containerPort: 443,
      how: 'app-port'
    });
    expect(refusal(() => plan(`services:\n  web:\n    image: x\n`))).toMatch(
      /service web is on a bridge network and publishes no port.*add `ports: \["8080"\]` .* to service web, or set `app-port: 8080`/
    );
    expect(plan(`services:\n  web:\n    image: x\n`, { appPort: 8080 }).texts[0]).toContain(
      '127.0.0.1:${PORT:-0}:8080'
    );
    expect(
      plan(`services:\n  web:\n    image: x\n    ports: [{target: 3000, published: 80}]\n`).web?.containerPort
    ).toBe(3000);
  });

  it('refuses a database in a slot, and warns when a slotted service mounts data', () => {
    expect(
      refusal(() =>
        plan(`services:\n  web:\n    image: x\n    ports: ['80:80']\n  db:\n    image: postgres:16\n`)
      )
    ).toMatch(/service db runs postgres:16.*add `db` to `accessories`/);
    const p = plan(
      `services:\n  web:\n    image: x\n    ports: ['80:80']\n    volumes: ['files:/files', './uploads:/u']\n  db:\n    image: docker.io/library/mariadb:11\nvolumes:\n  files:\n`,
      { accessories: ['db'] }
    );
    expect(p.warnings.join()).toMatch(/service web runs in both slots .* \.\/uploads, files/);
  });

  it('classes relative binds: existing ones ship as config, absent ones (or data-paths) are data in one place', () => {
    const text = `services:\n  web:\n    image: x\n    ports: ['80:80']\n    volumes:\n      - ./conf/app.ini:/etc/app.ini:ro\n      - ./uploads:/u\n      - type: bind\n        source: ./cache\n        target: /c\n  db:\n    image: postgres\n    volumes: ['./pgdata:/var/lib/postgresql/data']\n`;
    const p = plan(text, {
      accessories: ['db'],
      dataPaths: ['./cache'],
      exists: (f) => ['conf/app.ini', 'cache'].includes(f)
    });
    expect(p.binds.map((b) => [b.service, b.path, b.class])).toEqual([
      ['web', 'conf/app.ini', 'config'],
      ['web', 'uploads', 'data'],
      ['web', 'cache', 'data'],
      ['db', 'pgdata', 'data']
    ]);
    expect(p.ship).toEqual([{ path: 'conf/app.ini', kind: 'bind', mode: 'public' }]);
    const out = doc(p.texts[0]!);
    expect(out.services.web!.volumes).toEqual([
      './conf/app.ini:/etc/app.ini:ro',
      '../../data/uploads:/u',
      { type: 'bind', source: '../../data/cache', target: '/c' }
    ]);
    expect(out.services.db!.volumes).toEqual(['../../data/pgdata:/var/lib/postgresql/data']);
    expect(refusal(() => plan(text, { accessories: ['db'], dataPaths: ['./nope'] }))).toMatch(
      /data-paths.*nope/
    );
    expect(
      refusal(() =>
        plan(`services:\n  web:\n    image: x\n    network_mode: host\n    volumes: ['../up:/u']\n`)
      )
    ).toMatch(/outside the compose file's directory/);
  });

  it('ships secrets and configs 0644 and env files 0600; refuses a missing secret; pins accessory networks', () => {
    const text = `services:\n  web:\n    image: x\n    ports: ['80:80']\n    env_file: [.env, web.env]\n    networks: [front, back]\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: mariadb\n    networks: [back]\nsecrets:\n  pw:\n    file: db/password.txt\nconfigs:\n  c:\n    file: ./app.conf\nnetworks:\n  front:\n  back:\n`;
    const p = plan(text, { accessories: ['db'], exists: () => true });
    expect(p.ship).toEqual([
      { path: 'db/password.txt', kind: 'secret', mode: 'public' },
      { path: 'app.conf', kind: 'config', mode: 'public' },
      { path: 'web.env', kind: 'env_file', mode: 'private' }
    ]);
    expect(p.networks).toEqual([{ key: 'back', name: 'shop-prod_back' }]);
    expect(doc(p.texts[0]!).networks).toEqual({
      front: null,
      back: { name: 'shop-prod_back', external: true }
    });
    expect(p.awaitHealthy).toEqual(['db']);
    expect(refusal(() => plan(text, { accessories: ['db'] }))).toMatch(
      /secret pw reads db\/password.txt, which does not exist/
    );
  });

  it('caps what ships at 20 MiB, naming the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-ship-'));
    try {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'assets', 'a.txt'), 'a');
      writeFileSync(join(dir, 'assets', 'big.bin'), '');
      truncateSync(join(dir, 'assets', 'big.bin'), SHIP_LIMIT_BYTES + 1);
      expect(refusal(() => readShipped(dir, [{ path: 'assets', kind: 'bind', mode: 'public' }]))).toMatch(
        /assets makes the config shipped with the release larger than 20 MiB/
      );
      writeFileSync(join(dir, 'assets', 'big.bin'), 'small');
      expect(readShipped(dir, [{ path: 'assets', kind: 'bind', mode: 'public' }]).map((f) => f.name)).toEqual(
        ['assets/a.txt', 'assets/big.bin']
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not take a proxy in front of the app for an accessory', () => {
    const info = parseComposeFile(
      `services:\n  proxy:\n    image: nginx\n    depends_on: [backend]\n  backend:\n    build: .\n  db:\n    image: postgres\n`
    );
    expect(chooseAccessories([], info, { backend: 'r/b:1' }).accessories).toEqual(['db']);
  });
});

describe('a bridge-network app with no published port, read as action inputs', () => {
  it('is refused when the inputs are read (before any host is touched), naming the service and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-files-noport-'));
    try {
      writeFileSync(join(dir, 'compose.yml'), 'services:\n  api:\n    build: .\n');
      const inputs: Record<string, string> = {
        'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
        'known-hosts': 'x',
        host: '127.0.0.1',
        app: 'compose-files-noport',
        strategy: 'blue-green',
        'public-port': '17690',
        'compose-file': 'compose.yml',
        images: 'api=r/api:1'
      };
      const read = (extra: Record<string, string> = {}) =>
        readDeployInputs(
          new InputReader((n) => ({ ...inputs, ...extra })[n] ?? ''),
          { workspace: dir },
          { sha: '' }
        );
      expect(read).toThrow(InputError);
      expect(read).toThrow(
        /service api is on a bridge network and publishes no port.*add `ports: \["8080"\]` \(its container port\) to service api, or set `app-port: 8080`/
      );
      // The one-line fix works; recreate needs none.
      expect(() => read({ 'app-port': '8080' })).not.toThrow();
      expect(() => read({ strategy: 'recreate', 'public-port': '' })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
