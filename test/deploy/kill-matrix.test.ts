import { integrationOn } from '../support/compose-hosts.js';
import { KillLab, POINTS, type CaseResult, type How } from './kill-lab.js';

/**
 * Issue 17's fault matrix, bounded for CI (four cells; each is a killed run, a plain deploy and a plain rollback, ~45 s on 2 cores at a
 * load average of 4, ~2 minutes at 12): a deploy
 * (and a rollback) of the committed bundles killed, cancelled or cut at phase boundaries and inside phases on
 * field host 1, through a private link. The cases run in sequence, each starting from what the one before left.
 * The full matrix and its numbers: bench/kill-matrix.ts (docs/kill-matrix.md).
 */
const CASES: [op: 'deploy' | 'rollback', point: string, how: How][] = [
  // boundary: traffic moved, the gate never ran: the lock is taken over, the switch verified or reverted
  ['deploy', 'switch done (unverified)', 'kill'],
  // inside start (the new slot is up): the post step releases the lock and records deploy.cancelled; the
  // next deploy clears what the detached phase left in the idle slot
  ['deploy', 'start: new slot container up', 'cancel'],
  // inside start, the link drops: the host finishes the phase, the runner reverts and lets go
  ['deploy', 'start: new slot container up', 'cut'],
  // a rollback killed between its switch and its gate
  ['rollback', 'start+switch done (unverified)', 'kill']
];

integrationOn('kill matrix: a deploy killed or cut anywhere', [0], () => {
  const lab = new KillLab(18700, 'km-ci');

  beforeAll(async () => {
    await lab.setup();
  }, 120_000);
  afterAll(async () => {
    await lab.teardown();
  });

  it.each(CASES)(
    '%s, %s: %s',
    async (op, name, how) => {
      const point = POINTS.find((p) => p.op === op && p.name === name)!;
      const r: CaseResult = await lab.runCase(point, how);
      expect(r.problems).toEqual([]);
      expect(r.hit).toBe(true);
      expect(r.answeredMs).toBeGreaterThanOrEqual(0);
      expect(r.historyWhole).toBe(true);
      expect(r.stateAgrees).toBe(true);
      expect(r.nextDeployOk).toBe(true);
      expect(r.rollbackOk).toBe(true);
      expect(r.failedRequests).toBe(0);
      // A killed runner's lock is taken over (its pid is gone on this runner), never broken by hand.
      if (how === 'kill') expect(r.tookOver).toBe(true);
      // A cancelled one's post step released it and said so.
      if (how === 'cancel') expect(r.cancelledRecorded).toBe(true);
      // A switch no gate verified is resolved by the next run: the killed run's release was healthy, so it is
      // verified, by what that run expected of it (the next deploy expects its own version's body).
      if (how === 'kill' && name.includes('unverified')) expect(r.resolved).toBe('switch.verified');
    },
    200_000
  );
});
