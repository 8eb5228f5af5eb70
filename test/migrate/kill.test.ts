import { integration } from '../support/infra.js';
import { KILL_POINTS, runKillPoint } from './kill-matrix.js';

/**
 * Issue 17.4: the run-migrations bundle SIGKILLed at each file boundary and inside files. After each kill
 * the advisory lock is gone with the dead session, the history agrees with the schema, and a plain next
 * apply finishes the job with no repair. The same matrix prints as a table: npx tsx bench/run-migrations.ts.
 */
integration('run-migrations killed anywhere', () => {
  it.each(KILL_POINTS.map((p) => [`${p.id}: ${p.where}`, p] as const))(
    '%s',
    async (_name, point) => {
      const o = await runKillPoint(point);
      expect(o.signal).toBe('SIGKILL');
      expect(o.lockFreed).toBe(true);
      expect(o.failedRows).toBe(0); // a kill is not a failed file: nothing to repair
      expect(o.appliedAfterKill).toEqual(point.expectApplied);
      expect(o.tablesAfterKill).toEqual(point.expectTables);
      // the next plain apply continues where the dead run stopped
      expect(o.nextExit).toBe(0);
      expect(o.nextApplied).toEqual(['1', '2', '3'].filter((v) => !point.expectApplied.includes(v)));
      expect(o.finalHistory).toEqual(['1:applied', '2:applied', '3:applied']);
      expect(o.finalData).toBe('1,2,3');
    },
    120_000
  );
});
