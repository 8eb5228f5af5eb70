import { createHash, randomBytes } from 'node:crypto';
import {
  RegistryClient,
  getScanReport,
  putScanReport,
  scanReportTag
} from '../../packages/registry/src/index.js';
import { infra, integration } from '../support/infra.js';
import { reportText } from './reports.js';

/** The report stored beside the digest in the lab registry, and read back by a job that has only the registry. */
integration('a scan report stored in the registry beside its digest', () => {
  const client = () => {
    const reg = infra().registries[0]!;
    return new RegistryClient({
      registry: reg.host,
      credentials: { username: reg.username, password: reg.password },
      backoffMs: 50
    });
  };
  const repo = `scan/report-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const digest = `sha256:${createHash('sha256').update(repo).digest('hex')}`;

  it('is tagged sha256-<hex>.scan and read back byte for byte', async () => {
    const report = Buffer.from(reportText('trivy-alpine-39.json'));
    const stored = await putScanReport(client(), repo, digest, report);
    expect(stored.tag).toBe(`sha256-${digest.slice(7)}.scan`);
    expect(stored.tag).toBe(scanReportTag(digest));
    const back = await getScanReport(client(), repo, digest);
    expect(back?.equals(report)).toBe(true);
    // Storing the same report again writes the same artifact.
    expect((await putScanReport(client(), repo, digest, report)).digest).toBe(stored.digest);
  });

  it('is absent for a digest that was never scanned', async () => {
    const other = `sha256:${'e'.repeat(64)}`;
    expect(await getScanReport(client(), repo, other)).toBeUndefined();
  });
});
