import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient, putScanReport } from '../../packages/registry/src/index.js';
import { runWorkflow, type WorkflowResult } from '../../packages/workflow-sim/src/index.js';
import { infra, integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { reportText } from './reports.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * promote.yml in the local workflow runner, against the lab registry: the candidate's report is the one
 * deploy.yml's scan job stored beside its digest (`sha256-<hex>.scan`), and the promote job judges it with the
 * TARGET environment's fail-on, before anything in the target changes. With new-only, the baseline is the
 * report stored beside the digest the target's tag names (the release serving there).
 */
integration(
  'promote.yml gates the promotion on the stored report, with the target environment policy',
  () => {
    const work = mkdtempSync(join(tmpdir(), 'scan2-promote-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    const reg = () => infra().registries[0]!;
    const repo = `scan2/promote-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    const client = () =>
      new RegistryClient({
        registry: reg().host,
        credentials: { username: reg().username, password: reg().password },
        backoffMs: 50
      });

    /** A small OCI image (a config, no layers) under `tag`; its manifest digest. */
    async function image(tag: string, label: string): Promise<string> {
      const c = client();
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Labels: { label } },
          rootfs: { type: 'layers', diff_ids: [] }
        })
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
      return c.putManifest(repo, tag, OCI_MANIFEST, manifest);
    }

    /** A golden Trivy report with its image identity rewritten to `digest`, as the stand-in scanner writes it. */
    const reportFor = (name: string, digest: string) => {
      const doc = JSON.parse(reportText(name));
      doc.ArtifactName = `${reg().host}/${repo}@${digest}`;
      doc.Metadata.RepoDigests = [`${reg().host}/${repo}@${digest}`];
      return Buffer.from(JSON.stringify(doc, null, 2));
    };

    const promote = (
      environmentVars: Record<string, string>,
      inputs: Record<string, string | boolean> = {}
    ) =>
      runWorkflow('.github/workflows/promote.yml', {
        root: REPO_ROOT,
        refs: 'worktree',
        workspace: work,
        inputs: {
          app: 'scan2-shop',
          image: `${reg().host}/${repo}`,
          from: 'scan2-staging',
          to: 'scan2-prod',
          // The caller's fallback policy: the target environment's variable wins over it.
          'scan-fail-on': 'HIGH,CRITICAL',
          ...inputs
        },
        vars: { REGISTRY: reg().host, REGISTRY_USERNAME: reg().username },
        secrets: { REGISTRY_PASSWORD: reg().password },
        // No DEPLOY_HOSTS: a promotion the gate lets through stops at deploy-compose's input check.
        environments: { 'scan2-prod': { vars: environmentVars } },
        approve: () => true,
        github: { actor: 'ada', repository: 'acme/shop', sha: 'b'.repeat(40), ref: 'refs/heads/main' }
      });

    const step = (r: WorkflowResult, id: string) =>
      r.jobs.find((j) => j.id === 'rollout')!.steps.find((s) => s.id === id || s.name === id)!;

    let serving = '';
    let candidate = '';
    beforeAll(async () => {
      // Serving in scan2-prod: alpine 3.9 (2 CRITICAL, 4 MEDIUM). The candidate in scan2-staging: alpine 3.10
      // (4 MEDIUM, each of them already in 3.9).
      serving = await image('scan2-prod', 'serving');
      candidate = await image('scan2-staging', 'candidate');
      await putScanReport(client(), repo, serving, reportFor('trivy-alpine-39.json', serving));
      await putScanReport(client(), repo, candidate, reportFor('trivy-alpine-310.json', candidate));
    });

    test("the target's SCAN_FAIL_ON: MEDIUM blocks the candidate's four MEDIUMs; nothing is migrated or deployed", async () => {
      const r = await promote({ SCAN_FAIL_ON: 'MEDIUM' });
      const gate = step(r, 'scan');
      expect(step(r, 'source').outputs.digest).toBe(candidate);
      expect(gate.outcome).toBe('failure');
      expect(gate.outputs.verdict).toBe('fail');
      expect(gate.outputs.reason).toMatch(/4 blocking finding\(s\) \(fail-on MEDIUM/);
      expect(gate.outputs.stored).toBe(`${reg().host}/${repo}:sha256-${candidate.slice(7)}.scan`);
      expect(step(r, 'deploy').outcome).toBe('skipped');
      expect(step(r, 'tag').outcome).toBe('skipped');
      expect(step(r, 'record').summary).toMatch(/\| fail \| \{"CRITICAL":0,"HIGH":0,"MEDIUM":4/);
    });

    test('the same policy with new-only: the serving release (its tag) already has those MEDIUMs, so the gate passes', async () => {
      const r = await promote({ SCAN_FAIL_ON: 'MEDIUM', SCAN_NEW_ONLY: 'true' });
      expect(step(r, 'serving').outputs.digest).toBe(serving);
      const gate = step(r, 'scan');
      expect([gate.outcome, gate.outputs.verdict, gate.error ?? '']).toEqual(['success', 'pass', '']);
      expect(gate.outputs.reason).toMatch(/only new since .*sha256-[0-9a-f]{64}\.scan/);
      expect(JSON.parse(gate.outputs['new-findings']!)).toEqual([]);
      expect(JSON.parse(gate.outputs.record!)).toMatchObject({
        verdict: 'pass',
        counts: { MEDIUM: 4 },
        blocking: 0
      });
      // Past the gate: deploy-compose ran (and, with no hosts configured here, refused its input).
      expect(step(r, 'deploy').outcome).toBe('failure');
    });

    test('a digest with no stored report is not promoted once scanning is configured', async () => {
      await image('scan2-staging', 'never-scanned');
      const r = await promote({});
      const gate = step(r, 'scan');
      expect(gate.outcome).toBe('failure');
      expect(`${gate.error ?? ''}\n${gate.log}`).toMatch(/no report is stored beside sha256:[0-9a-f]{64}/);
      expect(step(r, 'deploy').outcome).toBe('skipped');
    });
  }
);
