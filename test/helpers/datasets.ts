// Small datasets written to a temporary directory, for ingest tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../common/config';

export const EXAMPLE_DIR = path.join(PROJECT_ROOT, 'examples', 'krispcall-small');

/** A temp copy of the example dataset with some files replaced (or removed with `null`). */
export function datasetDir(files: Record<string, string | null> = {}, options: { fromExample?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-dataset-'));
  if (options.fromExample ?? false) {
    for (const name of fs.readdirSync(EXAMPLE_DIR).filter((f) => f.endsWith('.csv'))) {
      fs.copyFileSync(path.join(EXAMPLE_DIR, name), path.join(dir, name));
    }
  }
  for (const [name, content] of Object.entries(files)) {
    if (content === null) fs.rmSync(path.join(dir, name), { force: true });
    else fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export const csv = (...lines: string[]) => lines.join('\n') + '\n';
