import { details, table } from '../../core/src/index.js';
import type { BuildResult } from './build.js';
import { linesToRecord, type Meta } from './meta/index.js';

/** The job summary of a build: builder, id/digest, every tag and whether it was pushed, the labels. */
export function buildSummary(meta: Meta, result: BuildResult): string {
  const lines = [
    `### build-image: ${meta.version || result.imageId.slice(7, 19) || 'image'}`,
    '',
    `Builder: **${result.builder}** (${result.builderReason})`,
    '',
    result.digest ? `Digest: \`${result.digest}\`` : `Image ID: \`${result.imageId}\``,
    ''
  ];
  if (meta.tags.length > 0)
    lines.push(
      table(
        ['Tag', 'Pushed'],
        meta.tags.map((t) => [`\`${t}\``, result.pushed.includes(t) ? 'yes' : 'no'])
      ),
      ''
    );
  lines.push(details('Labels', table(['Label', 'Value'], Object.entries(linesToRecord(meta.labels)))), '');
  return lines.join('\n');
}
