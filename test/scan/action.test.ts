import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { infra, integration } from '../support/infra.js';
import { reportPath, reportText } from './reports.js';

/** The committed bundle (node scripts/build.mjs scan-gate) run like the GitHub runner runs it. */
describe('scan-gate action bundle', () => {
  const temps: string[] = [];
  const temp = () => {
    const t = mkdtempSync(join(tmpdir(), 'scan-action-'));
    temps.push(t);
    return t;
  };
  afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
  const imageId = () => JSON.parse(reportText('trivy-alpine-39.json')).Metadata.ImageID as string;

  it('fails on the musl CRITICALs with every output set, the findings in the summary and an evidence file', async () => {
    const runnerTemp = temp();
    const run = await runBundle('scan-gate', {
      env: { RUNNER_TEMP: runnerTemp },
      inputs: { report: reportPath('trivy-alpine-39.json'), digest: imageId(), 'only-fixable': true }
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    expect(JSON.parse(run.outputs.counts!)).toEqual({
      CRITICAL: 2,
      HIGH: 0,
      MEDIUM: 4,
      LOW: 0,
      NEGLIGIBLE: 0,
      UNKNOWN: 0
    });
    expect(run.outputs['blocking-count']).toBe('2');
    expect(JSON.parse(run.outputs['new-findings']!)).toHaveLength(2);
    expect(JSON.parse(run.outputs['exceptions-used']!)).toEqual([]);
    expect(
      run.annotations.some(
        (a) => a.level === 'error' && a.message.includes('CVE-2019-14697 in musl (CRITICAL)')
      )
    ).toBe(true);
    expect(run.summary).toContain('| CVE-2019-14697 | musl-utils | 1.1.20-r4 → 1.1.20-r5 | CRITICAL |');
    const file = run.outputs['evidence-file']!;
    expect(file.startsWith(runnerTemp)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { findings: unknown[] }).findings).toHaveLength(6);
  });

  it('passes with exceptions that hold, and lists the one that matched nothing', async () => {
    const dir = temp();
    const exceptions = join(dir, 'exceptions.yml');
    writeFileSync(
      exceptions,
      "- id: CVE-2019-14697\n  reason: base image bump in #812\n  owner: '@platform'\n  expires: 2999-12-31\n- id: CVE-2000-0001\n  reason: old\n  owner: eve\n  expires: 2999-12-31\n"
    );
    const run = await runBundle('scan-gate', {
      inputs: { report: reportPath('trivy-alpine-39.json'), exceptions }
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe('pass');
    expect(JSON.parse(run.outputs['exceptions-used']!).map((e: { owner: string }) => e.owner)).toEqual([
      '@platform'
    ]);
    expect(JSON.parse(run.outputs['exceptions-unused']!).map((e: { owner: string }) => e.owner)).toEqual([
      'eve'
    ]);
    expect(run.annotations.some((a) => a.level === 'warning' && a.message.includes('CVE-2000-0001'))).toBe(
      true
    );
  });

  it('with fail-step false, reports a refused image and does not fail the step', async () => {
    const other = `sha256:${'0'.repeat(64)}`;
    const run = await runBundle('scan-gate', {
      inputs: { report: reportPath('trivy-alpine-310.sarif'), digest: other, 'fail-step': false }
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe('fail');
    expect(run.outputs.reason).toContain(other);
  });

  it('fails on a truncated report naming the input, the file and the line, and sets no verdict', async () => {
    const dir = temp();
    const cut = join(dir, 'report.json');
    writeFileSync(cut, reportText('grype-TestJsonImgsPresenter.json').slice(0, 1000));
    const run = await runBundle('scan-gate', { inputs: { report: cut } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBeUndefined();
    const errors = run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
    expect(errors.join('\n')).toMatch(
      new RegExp(
        `Input 'report': ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON at line \\d+`
      )
    );
  });

  it('refuses a digest that is not one, naming the input', async () => {
    const run = await runBundle('scan-gate', {
      inputs: { report: reportPath('trivy-alpine-39.json'), digest: 'latest' }
    });
    expect(run.exitCode).toBe(1);
    expect(
      run.annotations.some(
        (a) => a.level === 'error' && a.message.includes("Input 'digest': 'latest' is not a digest")
      )
    ).toBe(true);
  });
});

/** The scan job stores the report beside the digest; a promote job, with only the registry, reads it back. */
integration('scan-gate with registry-image', () => {
  it('stores the report beside the digest, and a later gate reads and judges the stored one', async () => {
    const reg = infra().registries[0]!;
    const image = `${reg.host}/scan/stored-${Date.now().toString(36)}`;
    const digest = JSON.parse(reportText('trivy-alpine-310.json')).Metadata.ImageID as string;
    const registry = {
      'registry-image': image,
      'registry-username': reg.username,
      'registry-password': reg.password
    };
    const store = await runBundle('scan-gate', {
      inputs: { report: reportPath('trivy-alpine-310.json'), digest, ...registry }
    });
    expect([store.exitCode, store.outputs.verdict]).toEqual([0, 'pass']);
    expect(store.outputs.stored).toBe(`${image}:sha256-${digest.slice(7)}.scan`);
    expect(leakedSecrets(store, [reg.password])).toEqual([]);

    const read = await runBundle('scan-gate', { inputs: { digest, 'fail-on': 'MEDIUM', ...registry } });
    expect(read.exitCode).toBe(1);
    expect(read.outputs.stored).toBe(store.outputs.stored);
    expect(JSON.parse(read.outputs.counts!)).toMatchObject({ MEDIUM: 4 });
    expect(read.outputs['blocking-count']).toBe('4');

    const other = `sha256:${'f'.repeat(64)}`;
    const none = await runBundle('scan-gate', { inputs: { digest: other, ...registry } });
    expect(none.exitCode).toBe(1);
    expect(
      none.annotations.some(
        (a) => a.level === 'error' && a.message.includes(`no report is stored beside ${other}`)
      )
    ).toBe(true);
  });
});
