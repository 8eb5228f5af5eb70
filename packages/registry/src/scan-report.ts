import { RegistryError } from '../../core/src/index.js';
import type { RegistryClient } from './client.js';
import { OCI_MANIFEST, sha256 } from './oci.js';

/**
 * A scanner's report stored in the registry beside the image it describes, as an OCI artifact tagged
 * `sha256-<hex>.scan` (the tag scheme cosign uses for signatures): a promote job that holds only its own
 * environment's secrets reads the report of the digest it promotes from the registry it pulls from.
 */
export const SCAN_REPORT_ARTIFACT = 'application/vnd.deploy-actions.scan-report.v1+json';
const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_CONFIG_TYPE = 'application/vnd.oci.empty.v1+json';

/** The tag beside `sha256:<hex>`: `sha256-<hex>.scan`. */
export function scanReportTag(imageDigest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(imageDigest);
  if (!m) throw new Error(`scanReportTag: '${imageDigest}' is not a sha256 digest`);
  return `sha256-${m[1]}.scan`;
}

/** The manifest that carries a report, byte for byte (deterministic: the same report gives the same digest). */
export function scanReportManifest(report: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: SCAN_REPORT_ARTIFACT,
      config: { mediaType: EMPTY_CONFIG_TYPE, digest: sha256(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
      layers: [{ mediaType: 'application/json', digest: sha256(report), size: report.length }]
    })
  );
}

/** Store `report` beside `imageDigest` in `repo`; returns the tag and the artifact's manifest digest. */
export async function putScanReport(
  client: RegistryClient,
  repo: string,
  imageDigest: string,
  report: Buffer
): Promise<{ tag: string; digest: string }> {
  const tag = scanReportTag(imageDigest);
  await client.pushBlob(repo, EMPTY_CONFIG);
  await client.pushBlob(repo, report);
  const digest = await client.putManifest(repo, tag, OCI_MANIFEST, scanReportManifest(report));
  return { tag, digest };
}

/** The report stored beside `imageDigest`, or undefined when there is none (the digest was never scanned). */
export async function getScanReport(
  client: RegistryClient,
  repo: string,
  imageDigest: string
): Promise<Buffer | undefined> {
  const tag = scanReportTag(imageDigest);
  let layer: { digest: string } | undefined;
  try {
    const manifest = await client.getManifest(repo, tag);
    layer = manifest.json.layers?.[0];
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) return undefined;
    throw err;
  }
  if (!layer)
    throw new RegistryError(`${client.registry}/${repo}:${tag} holds no report layer`, {
      state: 'nothing was changed'
    });
  const res = await client.getBlob(repo, layer.digest);
  const body = Buffer.from(await res.arrayBuffer());
  if (sha256(body) !== layer.digest)
    throw new RegistryError(
      `${client.registry}/${repo}:${tag}: the report served hashes to ${sha256(body)}, not ${layer.digest}`,
      {
        state: 'nothing was changed',
        hint: 'the registry or a proxy altered the content; retry, or scan the digest again'
      }
    );
  return body;
}
