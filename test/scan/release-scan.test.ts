import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { InputReader, asScanRecord, makeEvent, scanLine } from '../../packages/core/src/index.js';
import { readReleaseScan } from '../../packages/deploy/src/index.js';
import { describeEvent } from '../../packages/events/src/index.js';
import {
  judge,
  parseReport,
  parseSeverityList,
  readScanInputs,
  reportDigest,
  scanRecordOf
} from '../../packages/scan/src/index.js';
import { startChatReceiver } from '../support/chat-receiver.js';
import { runBundle } from '../support/harness.js';
import { integration } from '../support/infra.js';
import { COMPOSE, bundleDeploy, buildImages, cleanup, history, target } from '../deploy/support.js';
import { reportPath, reportText } from './reports.js';

/** scan-gate's verdict on the alpine-39 report under the default policy, as its `record` output carries it. */
function alpine39Record() {
  const text = reportText('trivy-alpine-39.json');
  const verdict = judge(parseReport(text, 'trivy-alpine-39.json', 'report'), {
    failOn: parseSeverityList('HIGH,CRITICAL', 'fail-on'),
    onlyFixable: false,
    exceptions: [],
    newOnly: false,
    allowUnidentified: true
  });
  return { text, record: scanRecordOf(verdict, text) };
}

/** A reader of the two inputs, as the entry's InputReader answers them. */
const reader = (values: Record<string, string>) =>
  ({ optional: (name: string) => values[name] || undefined }) as unknown as Parameters<
    typeof readReleaseScan
  >[0];

describe("deploy-compose's scan-report and scan-verdict", () => {
  const { text, record } = alpine39Record();
  const read = (values: Record<string, string>) =>
    readReleaseScan(reader(values), (_input, p) => readFileSync(p, 'utf8'));

  it('are kept together: the report and the verdict that names its sha256', () => {
    expect(record).toMatchObject({ verdict: 'fail', counts: { CRITICAL: 2, MEDIUM: 4 }, blocking: 2 });
    const got = read({
      'scan-report': reportPath('trivy-alpine-39.json'),
      'scan-verdict': JSON.stringify(record)
    });
    expect(got.scan?.record).toEqual(record);
    expect(got.scan?.report).toBe(text);
    expect(read({})).toEqual({});
  });

  it('refuse one without the other, a verdict that is not one, and a report the verdict does not name', () => {
    expect(() => read({ 'scan-verdict': JSON.stringify(record) })).toThrow(
      /Input 'scan-report'.*without the report/s
    );
    expect(() => read({ 'scan-report': reportPath('trivy-alpine-39.json') })).toThrow(
      /Input 'scan-verdict'.*without its verdict/s
    );
    expect(() =>
      read({ 'scan-report': reportPath('trivy-alpine-39.json'), 'scan-verdict': '{"verdict":"maybe"}' })
    ).toThrow(/Input 'scan-verdict'.*is not a scan verdict/s);
    expect(() =>
      read({ 'scan-report': reportPath('trivy-alpine-310.json'), 'scan-verdict': JSON.stringify(record) })
    ).toThrow(/trivy-alpine-310\.json \(sha256 sha256:[0-9a-f]{64}\) is not the report scan-verdict judged/);
  });

  it('show in a notification as the verdict, the counts and the report digest', () => {
    const e = makeEvent(
      'deploy.completed',
      { app: 'shop', environment: 'production', version: '1.2.0' },
      { actor: 'ada', runUrl: '' },
      { scan: record }
    );
    const facts = Object.fromEntries(describeEvent(e).facts);
    expect(facts.Scan).toBe(`fail; CRITICAL 2, MEDIUM 4; report ${record.report.slice(0, 19)}`);
    expect(scanLine(record)).toBe(facts.Scan);
    // An event without a verdict (an unscanned release) has no Scan line.
    expect(Object.fromEntries(describeEvent({ ...e, scan: undefined }).facts).Scan).toBeUndefined();
    expect(asScanRecord({ ...record, report: 'sha256:short' })).toBeUndefined();
  });
});

describe("scan-gate's baseline-digest and record", () => {
  const scanInputs = (values: Record<string, string>) =>
    readScanInputs(new InputReader((n) => values[n] ?? ''));

  it('refuses a baseline-digest without registry-image, and one that is no digest', async () => {
    const report = reportPath('trivy-alpine-310.json');
    await expect(scanInputs({ report, 'baseline-digest': `sha256:${'a'.repeat(64)}` })).rejects.toThrow(
      /Input 'baseline-digest'.*registry-image, which is empty/s
    );
    await expect(scanInputs({ report, 'baseline-digest': 'latest' })).rejects.toThrow(
      /Input 'baseline-digest'.*'latest' is not a digest/s
    );
  });

  it("names the report's sha256, so the release directory's copy can be checked against it", async () => {
    const got = await scanInputs({ report: reportPath('trivy-alpine-310.json') });
    expect(got.text).toBe(reportText('trivy-alpine-310.json'));
    expect(reportDigest(got.text)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(scanRecordOf(judge(got.report, got.policy), got.text)).toEqual({
      verdict: 'pass',
      counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 4, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0 },
      report: reportDigest(reportText('trivy-alpine-310.json')),
      blocking: 0
    });
  });
});

integration('deploy-compose keeps the scan report and its verdict on the host (field host, bundle)', () => {
  const app = 'scan2-release';
  const port = 19471;
  const h = () => target();
  let workspace: string;
  let chat: Awaited<ReturnType<typeof startChatReceiver>>;

  beforeAll(async () => {
    buildImages();
    cleanup(h().stateDir, app);
    chat = await startChatReceiver();
    workspace = mkdtempSync('/tmp/scan2-release-ws-');
    mkdirSync(join(workspace, 'deploy'));
    writeFileSync(join(workspace, 'deploy', 'compose.yml'), COMPOSE);
    writeFileSync(join(workspace, 'deploy', '.env'), 'GREETING=hi\n');
  });
  afterAll(() => {
    cleanup(h().stateDir, app);
    rmSync(workspace, { recursive: true, force: true });
    chat.server.close();
  });

  it('scan-report.json in the release directory, scan in release.json, the history line and the Slack message', async () => {
    const { text, record } = alpine39Record();
    writeFileSync(join(workspace, 'scan-report.json'), text);
    const run = await runBundle('deploy-compose', {
      inputs: bundleDeploy(
        { app, port, dir: h().stateDir, tag: 'v1' },
        {
          'drain-timeout': '300ms',
          'scan-report': 'scan-report.json',
          'scan-verdict': JSON.stringify(record),
          'webhook-url': `${chat.url}/slack`,
          'notify-format': 'slack'
        }
      ),
      workspace
    });
    expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
    expect(run.exitCode).toBe(0);
    const releaseId = run.outputs['release-id']!;
    const dir = join(h().stateDir, app, 'test', 'releases', releaseId);
    expect(existsSync(join(dir, 'scan-report.json'))).toBe(true);
    expect(readFileSync(join(dir, 'scan-report.json'), 'utf8')).toBe(text);
    const release = JSON.parse(readFileSync(join(dir, 'release.json'), 'utf8')) as { scan?: unknown };
    expect(release.scan).toEqual(record);
    const completed = history(h().stateDir, app).filter((e) => e.event === 'deploy.completed');
    expect(completed.at(-1)?.scan).toEqual(record);
    expect(chat.refused).toEqual([]);
    const message = chat.got.find((g) => g.event === 'deploy.completed');
    expect(JSON.stringify(message?.body)).toContain(
      `fail; CRITICAL 2, MEDIUM 4; report ${record.report.slice(0, 19)}`
    );
    // A release deployed without a scan has no copy and no verdict.
    const plain = await runBundle('deploy-compose', {
      inputs: bundleDeploy({ app, port, dir: h().stateDir, tag: 'v2' }, { 'drain-timeout': '300ms' }),
      workspace
    });
    expect(plain.exitCode).toBe(0);
    const plainDir = join(h().stateDir, app, 'test', 'releases', plain.outputs['release-id']!);
    expect(readdirSync(plainDir)).not.toContain('scan-report.json');
    expect(
      (JSON.parse(readFileSync(join(plainDir, 'release.json'), 'utf8')) as { scan?: unknown }).scan
    ).toBeUndefined();
  }, 240_000);
});
