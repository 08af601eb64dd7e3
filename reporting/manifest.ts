// manifest.json beside a report's files (docs/reports.md): what the files hold (model version,
// basis, period, cutoff, books, the runs and the input data they come from) and the sha256 of
// every file, so a reader can tell which run a CSV belongs to and that it was not edited since.
import crypto from 'node:crypto';

export const MANIFEST_FILE_NAME = 'manifest.json';

export interface ManifestFields {
  kind: 'run' | 'range' | 'replay' | 'sensitivity';
  modelVersion: string;
  basis: string;
  period: { from: string | null; to: string };
  cutoff: string | null;
  books: ReadonlyArray<string>;
  chosen?: string;
  runIds: ReadonlyArray<string>;
  inputDataVersions: ReadonlyArray<unknown>;
  [extra: string]: unknown;
}

export function renderManifest(fields: ManifestFields, files: ReadonlyMap<string, string>): string {
  const sha256 = Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, content]) => [name, crypto.createHash('sha256').update(content, 'utf8').digest('hex')]));
  return `${JSON.stringify({ ...fields, files: sha256 }, null, 2)}\n`;
}
