import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { adoptDataArgv, pruneReleaseArgv } from '../../packages/deploy/src/index.js';

/**
 * Data an earlier version of deploy-compose left per release (a relative `./data` bind resolved inside each
 * release directory): adopted once, the serving release's copy moved to the stable directory, the others left
 * in place, listed and never pruned. The host scripts run here in sh on a real directory tree.
 */
describe('adopting data of earlier releases', () => {
  let root: string;
  const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  const release = (id: string, rows: string) => {
    const d = join(root, 'releases', id);
    mkdirSync(join(d, 'data', 'db'), { recursive: true });
    writeFileSync(join(d, 'release.json'), `{"id":"${id}"}`);
    writeFileSync(join(d, 'data', 'db', 'rows'), rows);
  };
  beforeEach(() => {
    root = mkdtempSync('/tmp/compose-files-adopt-');
    release('20261101T000000Z-aaaa', 'old\n');
    release('20261102T000000Z-bbbb', 'serving\n');
    mkdirSync(join(root, 'releases', '20261103T000000Z-cccc'));
    symlinkSync('releases/20261102T000000Z-bbbb', join(root, 'current'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('moves the serving release copy to data/, lists the others, and does it once', () => {
    const out = run(adoptDataArgv(root, ['data/db', 'cache']));
    expect(out.split('\n').filter(Boolean)).toEqual([
      'adopted data/db from releases/20261102T000000Z-bbbb',
      'left data/db in releases/20261101T000000Z-aaaa'
    ]);
    expect(readFileSync(join(root, 'data', 'data', 'db', 'rows'), 'utf8')).toBe('serving\n');
    // A link in its place: a rollback to that release (its compose file binds ./data/db) finds the data.
    const link = join(root, 'releases', '20261102T000000Z-bbbb', 'data', 'db');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join(root, 'data', 'data', 'db'));
    expect(readFileSync(join(link, 'rows'), 'utf8')).toBe('serving\n');
    // The release that did not serve keeps its own copy beside, as data/db.earlier, and a link in its place:
    // a rollback to it mounts the stable directory too.
    const older = join(root, 'releases', '20261101T000000Z-aaaa');
    expect(readFileSync(join(older, 'data', 'db.earlier', 'rows'), 'utf8')).toBe('old\n');
    expect(lstatSync(join(older, 'data', 'db')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(older, 'data', 'db', 'rows'), 'utf8')).toBe('serving\n');
    expect(readFileSync(join(root, 'releases', '20261101T000000Z-aaaa', '.earlier-data'), 'utf8')).toBe(
      'data/db\n'
    );
    // Once: the stable directory exists now, so a later deploy changes nothing.
    writeFileSync(join(root, 'data', 'data', 'db', 'rows'), 'serving\nnewer\n');
    expect(run(adoptDataArgv(root, ['data/db']))).toBe('');
    expect(readFileSync(join(root, 'data', 'data', 'db', 'rows'), 'utf8')).toBe('serving\nnewer\n');
  });

  it('never prunes the data left in an earlier release: moves it out of releases/ once; prunes the others whole', () => {
    run(adoptDataArgv(root, ['data/db']));
    const kept = join(root, 'releases', '20261101T000000Z-aaaa');
    const to = join(root, 'earlier-data', '20261101T000000Z-aaaa');
    expect(run(pruneReleaseArgv(kept, to)).trim()).toBe('kept data/db');
    expect(existsSync(kept)).toBe(false);
    expect(existsSync(join(to, 'release.json'))).toBe(false);
    expect(readFileSync(join(to, 'data', 'db.earlier', 'rows'), 'utf8')).toBe('old\n');
    // Its link to the stable directory is gone; the stable data is untouched.
    expect(existsSync(join(to, 'data', 'db'))).toBe(false);
    expect(readFileSync(join(root, 'data', 'data', 'db', 'rows'), 'utf8')).toBe('serving\n');
    // The serving release's copy was adopted: its directory (a link in it) is pruned whole, the data stays.
    const adopted = join(root, 'releases', '20261102T000000Z-bbbb');
    expect(run(pruneReleaseArgv(adopted, join(root, 'earlier-data', 'x'))).trim()).toBe('');
    expect(existsSync(adopted)).toBe(false);
    expect(readFileSync(join(root, 'data', 'data', 'db', 'rows'), 'utf8')).toBe('serving\n');
    const plain = join(root, 'releases', '20261103T000000Z-cccc');
    run(pruneReleaseArgv(plain, join(root, 'earlier-data', 'y')));
    expect(existsSync(plain)).toBe(false);
    expect(existsSync(join(root, 'earlier-data', 'y'))).toBe(false);
  });

  it('moves out a release an earlier run of this version marked and left set aside (kept in place)', () => {
    // A host where the first adoption (before .earlier copies) marked a release and a prune set it aside.
    const aside = join(root, 'releases', '.pruned-20261101T000000Z-aaaa');
    execFileSync('mv', ['-T', join(root, 'releases', '20261101T000000Z-aaaa'), aside]);
    writeFileSync(join(aside, '.earlier-data'), 'data/db\n');
    const to = join(root, 'earlier-data', '20261101T000000Z-aaaa');
    expect(run(pruneReleaseArgv(aside, to)).trim()).toBe('kept data/db');
    expect(existsSync(aside)).toBe(false);
    expect(readFileSync(join(to, 'data', 'db', 'rows'), 'utf8')).toBe('old\n');
  });

  it('adopts nothing when no release serves, and lists every copy', () => {
    rmSync(join(root, 'current'));
    const out = run(adoptDataArgv(root, ['data/db']));
    expect(out.trim()).toBe('left data/db in releases/20261101T000000Z-aaaa releases/20261102T000000Z-bbbb');
    expect(existsSync(join(root, 'data', 'data', 'db'))).toBe(false);
    // Both copies kept beside; both releases now bind the (new, empty) stable directory.
    for (const id of ['20261101T000000Z-aaaa', '20261102T000000Z-bbbb'])
      expect(readlinkSync(join(root, 'releases', id, 'data', 'db'))).toBe(join(root, 'data', 'data', 'db'));
  });
});
