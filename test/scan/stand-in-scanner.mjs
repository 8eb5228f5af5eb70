#!/usr/bin/env node
// A stand-in for the user's scanner (Trivy and Grype are in neither Debian nor npm): it "scans" $SCAN_IMAGE
// by emitting a golden Trivy report ($DEPLOY_ACTIONS_STANDIN_REPORT) with its image identity rewritten to that
// image, as Trivy writes it after pulling from a registry (Metadata.RepoDigests), into $SCAN_REPORT.
import { readFileSync, writeFileSync } from 'node:fs';

const { SCAN_IMAGE, SCAN_REPORT, DEPLOY_ACTIONS_STANDIN_REPORT } = process.env;
if (!SCAN_IMAGE || !SCAN_REPORT || !DEPLOY_ACTIONS_STANDIN_REPORT) {
  console.error('stand-in scanner: SCAN_IMAGE, SCAN_REPORT and DEPLOY_ACTIONS_STANDIN_REPORT must be set');
  process.exit(2);
}
const report = JSON.parse(readFileSync(DEPLOY_ACTIONS_STANDIN_REPORT, 'utf8'));
report.ArtifactName = SCAN_IMAGE;
report.Metadata.RepoDigests = [SCAN_IMAGE];
writeFileSync(SCAN_REPORT, JSON.stringify(report, null, 2));
console.log(`stand-in scanner: ${SCAN_IMAGE} -> ${SCAN_REPORT}`);
