// Writes a report's files into the command's output folder, on the machine where the command
// runs. Each file goes to a temporary name first and is renamed, so a reader never sees half a
// file; manifest.json comes last, with the sha256 of every other file.
import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE_NAME, renderManifest, type ManifestFields } from '../../reporting/manifest';

export interface WrittenReports {
  outDir: string;
  files: string[];
}

export function writeReportFiles(outDir: string, files: Map<string, string>, manifest: ManifestFields): WrittenReports {
  const all = new Map(files);
  all.set(MANIFEST_FILE_NAME, renderManifest(manifest, files));
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, content] of all) {
    const target = path.join(outDir, name);
    fs.writeFileSync(`${target}.partial`, content);
    fs.renameSync(`${target}.partial`, target);
  }
  return { outDir, files: [...all.keys()] };
}
