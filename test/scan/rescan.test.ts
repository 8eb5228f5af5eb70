import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient, putScanReport } from '../../packages/registry/src/index.js';
import { TokenAuthority, runWorkflow, type WorkflowResult } from '../../packages/workflow-sim/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { issuesIn } from '../support/github-standin/issues.js';
import { infra, integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { reportText } from './reports.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * rescan.yml in the local workflow runner, against the lab registry: the digest an environment's tag names and
 * the report stored beside it, judged again with today's exceptions. The same release passes while its
 * exceptions hold, and fails the run, naming the owner and the date, once they expired.
 */
integration("rescan.yml re-judges the serving digest's stored report with today's exceptions", () => {
  const work = mkdtempSync(join(tmpdir(), 'scan2-rescan-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const reg = () => infra().registries[0]!;
  const repo = `scan2/rescan-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  let serving = '';
  let gh: GitHubStandIn;
  const authority = new TokenAuthority();
  afterAll(() => gh.close());

  beforeAll(async () => {
    gh = await startGitHubStandIn({ tokenScopes: (t) => authority.scopes(t) });
    const c = new RegistryClient({
      registry: reg().host,
      credentials: { username: reg().username, password: reg().password },
      backoffMs: 50
    });
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })
    );
    const configDigest = await c.pushBlob(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length
        },
        layers: []
      })
    );
    // Serving in scan2-prod: an image whose stored report is alpine 3.9 (two musl CRITICALs).
    serving = await c.putManifest(repo, 'scan2-prod', OCI_MANIFEST, manifest);
    const doc = JSON.parse(reportText('trivy-alpine-39.json'));
    doc.Metadata.RepoDigests = [`${reg().host}/${repo}@${serving}`];
    await putScanReport(c, repo, serving, Buffer.from(JSON.stringify(doc)));
  });

  /** The exceptions file for the two musl CRITICALs, valid through `expires`. */
  const exceptions = (expires: string) => {
    const file = `exceptions-${expires}.yml`;
    writeFileSync(
      join(work, file),
      ['musl', 'musl-utils']
        .map(
          (pkg) =>
            `- id: CVE-2019-14697\n  package: ${pkg}\n  reason: no untrusted input reaches x87 printf\n  owner: '@platform'\n  expires: ${expires}\n`
        )
        .join('')
    );
    return file;
  };

  const rescan = (inputs: Record<string, string>) =>
    runWorkflow('.github/workflows/rescan.yml', {
      root: REPO_ROOT,
      refs: 'worktree',
      workspace: work,
      inputs: { image: `${reg().host}/${repo}`, ...inputs },
      vars: { REGISTRY: reg().host, REGISTRY_USERNAME: reg().username },
      secrets: { REGISTRY_PASSWORD: reg().password },
      github: {
        actor: 'schedule',
        repository: 'acme/shop',
        sha: 'c'.repeat(40),
        ref: 'refs/heads/main',
        api_url: gh.url
      },
      mintToken: (p, j) => authority.mint(p, j)
    });
  const job = (r: WorkflowResult) => r.jobs.find((j) => j.id === 'rescan')!;
  const step = (r: WorkflowResult, id: string) => job(r).steps.find((s) => s.id === id || s.name === id)!;

  test('while the exceptions hold, the serving release passes', async () => {
    const r = await rescan({ environment: 'scan2-prod', exceptions: exceptions('2099-12-31') });
    expect(job(r).result).toBe('success');
    expect(job(r).outputs).toMatchObject({ verdict: 'pass', digest: serving });
    expect(r.jobs.find((j) => j.id === 'issue')!.result).toBe('skipped');
    expect(JSON.parse(step(r, 'gate').outputs['exceptions-used']!)).toHaveLength(2);
    expect(step(r, 'verdict').summary).toContain(`| \`${serving}\` | pass |`);
  });

  test('once they expired, the run fails naming the findings, the owner and the date', async () => {
    const r = await rescan({ environment: 'scan2-prod', exceptions: exceptions('2020-01-31') });
    expect(job(r).result).toBe('failure');
    expect(job(r).outputs.verdict).toBe('fail');
    const gate = step(r, 'gate');
    expect(gate.outcome).toBe('success'); // fail-step false: the verdict step fails the run, after the summary
    expect(gate.outputs.reason).toMatch(/CVE-2019-14697/);
    expect(gate.outputs.reason).toMatch(/@platform/);
    expect(gate.outputs.reason).toMatch(/2020-01-31/);
    expect(JSON.parse(gate.outputs['exceptions-expired']!)).toHaveLength(2);
    const verdict = step(r, 'verdict');
    expect(verdict.outcome).toBe('failure');
    expect(verdict.log).toMatch(/scan2-prod serves sha256:[0-9a-f]{64}, which fails today's policy/);

    // An issue where reviewers look, labelled rescan; the next failing night comments on it instead of another.
    const opened = r.jobs.find((j) => j.id === 'issue')!;
    expect([opened.result, opened.error ?? '']).toEqual(['success', '']);
    let list = issuesIn(gh.repo('acme/shop'));
    expect(list).toHaveLength(1);
    expect(list[0]!.labels).toEqual(['rescan']);
    expect(list[0]!.title).toBe(`rescan: ${reg().host}/${repo} in scan2-prod fails today's scan policy`);
    expect(list[0]!.body).toContain(serving);
    expect(list[0]!.body).toMatch(/@platform/);
    const again = await rescan({ environment: 'scan2-prod', exceptions: exceptions('2020-01-31') });
    expect(again.jobs.find((j) => j.id === 'issue')!.result).toBe('success');
    list = issuesIn(gh.repo('acme/shop'));
    expect(list).toHaveLength(1);
    expect(list[0]!.comments).toHaveLength(1);
    expect(list[0]!.comments[0]!.body).toContain(serving);
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  });

  test('an environment nothing was promoted to has nothing to judge', async () => {
    const r = await rescan({ environment: 'scan2-nowhere' });
    expect(job(r).result).toBe('success');
    expect(step(r, 'gate').outcome).toBe('skipped');
    expect(step(r, 'nothing serves').log).toMatch(/nothing serves in scan2-nowhere/);
  });
});
