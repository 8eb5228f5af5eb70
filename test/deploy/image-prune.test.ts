import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploy } from '../../packages/deploy/src/index.js';
import { infra, integration } from '../support/infra.js';
import { cleanup, deploySpec, deps, history, stateDir, version } from './support.js';

/**
 * issue 28 item 10: disks fill up. The images of pruned releases leave the host with the release prune; the
 * kept releases' images stay, and so does an image another app's release names, and another app's own image.
 * The images are this suite's own repositories (the lab's dockerd is shared by every suite).
 */
const REPO = '127.0.0.1:5055/deploy/errors2-prune';
const OTHER_REPO = '127.0.0.1:5055/deploy/errors2-prune-other';
const TAGS = ['p1', 'p2', 'p3', 'p4', 'p5'];

function build(): void {
  const reg = infra().registries[0]!;
  const dir = mkdtempSync('/tmp/errors2-prune-img-');
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  try {
    execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
      input: reg.password,
      stdio: ['pipe', 'ignore', 'pipe'],
      env
    });
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM deploy-actions/busybox:latest
ARG VERSION
RUN mkdir -p /www && echo "$VERSION" > /www/index.html && echo ok > /www/up
CMD ["sh", "-c", "exec httpd -f -p 127.0.0.1:\${PORT:-8080} -h /www"]
`
    );
    const refs = [...TAGS.map((t) => `${REPO}:${t}`), `${OTHER_REPO}:o1`];
    for (const ref of refs) {
      const v = ref.split(':').at(-1)!;
      execFileSync(
        'docker',
        ['build', '-q', '--network', 'host', '--build-arg', `VERSION=${v}`, '-t', ref, dir],
        { stdio: ['ignore', 'ignore', 'pipe'], env }
      );
      execFileSync('docker', ['push', '-q', ref], { stdio: ['ignore', 'ignore', 'pipe'], env });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The image id a reference names on the (shared) daemon, or undefined when the daemon has no such image. */
function imageId(ref: string): string | undefined {
  try {
    return execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim();
  } catch {
    return undefined;
  }
}

integration('image prune: the images of pruned releases leave the host (issue 28 item 10)', () => {
  beforeAll(() => build(), 300_000);

  test('five deploys with keep-releases 2 leave the kept releases images, another app keeps its own and the one it names', async () => {
    const app = 'errors2-img';
    const other = 'errors2-imgother';
    const port = 19710;
    const otherPort = 19720;
    const dir = stateDir('errors2-img');
    cleanup(dir, app);
    cleanup(dir, other);
    try {
      // Another app on the same host and state dir: one release of its own image, one of p1 (the first image
      // of the app under test, so a record of another app names it when the app's prune drops it).
      const o = (tag: string, image: string) =>
        deploySpec(other, dir, otherPort, { version: tag, images: { web: image }, keepReleases: 5 });
      const o1 = await deploy(o('o1', `${OTHER_REPO}:o1`), deps());
      expect(o1.error?.describe()).toBeUndefined();
      const o2 = await deploy(o('p1', `${REPO}:p1`), deps());
      expect(o2.error?.describe()).toBeUndefined();

      const ids: Record<string, string | undefined> = {};
      const digests: Record<string, string> = {};
      for (const t of TAGS) {
        ids[t] = imageId(`${REPO}:${t}`);
        const d = await deploy(
          deploySpec(app, dir, port, { version: t, images: { web: `${REPO}:${t}` }, keepReleases: 2 }),
          deps()
        );
        expect(d.error?.describe()).toBeUndefined();
        expect(await version(port)).toBe(t);
        digests[t] = d.digests.web!;
      }
      // keep-releases 2 keeps p4 and p5: p1, p2 and p3 are pruned (p1 and p2 by the 4th deploy, p3 by the 5th).
      const pruned = history(dir, app).filter((e) => e.event === 'releases.pruned');
      expect(pruned.flatMap((e) => e.images as string[]).sort()).toEqual(
        [digests.p1, digests.p2, digests.p3].sort()
      );
      // p2 and p3: gone from the daemon, by digest, by tag and by id.
      for (const t of ['p2', 'p3']) {
        expect(ids[t]).toBeDefined();
        expect(imageId(digests[t]!)).toBeUndefined();
        expect(imageId(`${REPO}:${t}`)).toBeUndefined();
        expect(imageId(ids[t]!)).toBeUndefined();
      }
      // The kept releases' images stay: a rollback to them needs no pull.
      for (const t of ['p4', 'p5']) {
        expect(imageId(digests[t]!)).toBe(ids[t]);
        expect(imageId(`${REPO}:${t}`)).toBe(ids[t]);
      }
      // p1 is named by the other app's release: kept. The other app's own image is untouched.
      expect(imageId(`${REPO}:p1`)).toBe(ids.p1);
      expect(imageId(`${OTHER_REPO}:o1`)).toBeDefined();
      expect(await version(otherPort)).toBe('p1');
    } finally {
      cleanup(dir, app);
      cleanup(dir, other);
    }
  }, 600_000);
});
