// Reading a dataset directory: which CSV files it has, its settings, each file's checksum.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorType, inputFailure } from '../../common/errors';
import { DatasetSettingsError, parseDatasetSettings, settingsFingerprint, type DatasetSettings } from '../../ingest/datasetSettings';
import { CSV_KINDS, FILE_SPECS, type CsvKind } from '../../ingest/fileSpecs';

export interface DatasetFile {
  kind: CsvKind;
  fileName: string;
  contentSha256: string;
  /** sha256 of the content plus the settings that shape how it is read: equal keys, equal rows. */
  loadKey: string;
}

export function readDatasetSettings(dir: string): DatasetSettings {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw inputFailure(ErrorType.InvalidDataset, `Dataset directory ${dir} does not exist or is not a directory.`);
  }
  const settingsPath = path.join(dir, 'dataset.yaml');
  const text = fs.existsSync(settingsPath) ? fs.readFileSync(settingsPath, 'utf8') : undefined;
  try {
    return parseDatasetSettings(text, settingsPath);
  } catch (error) {
    if (error instanceof DatasetSettingsError) throw inputFailure(ErrorType.InvalidDataset, error.message);
    throw error;
  }
}

export function datasetName(dir: string, settings: DatasetSettings): string {
  return settings.name ?? path.basename(path.resolve(dir));
}

export function fileNameFor(kind: CsvKind, settings: DatasetSettings): string {
  return settings.files[kind] ?? FILE_SPECS[kind].fileName;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function loadKeyOf(contentSha256: string, settings: DatasetSettings, kind: CsvKind): string {
  return crypto.createHash('sha256').update(`${kind}\n${contentSha256}\n${settingsFingerprint(settings, kind)}`).digest('hex');
}

export async function listDatasetFiles(dir: string): Promise<{ dataset: string; files: DatasetFile[]; missing: CsvKind[] }> {
  const settings = readDatasetSettings(dir);
  const files: DatasetFile[] = [];
  const missing: CsvKind[] = [];
  for (const kind of CSV_KINDS) {
    const fileName = fileNameFor(kind, settings);
    const file = path.join(dir, fileName);
    if (!fs.existsSync(file)) {
      missing.push(kind);
      continue;
    }
    const contentSha256 = await sha256OfFile(file);
    files.push({ kind, fileName, contentSha256, loadKey: loadKeyOf(contentSha256, settings, kind) });
  }
  if (files.length === 0) {
    throw inputFailure(
      ErrorType.InvalidDataset,
      `Dataset directory ${dir} has none of the expected files (${CSV_KINDS.map((k) => fileNameFor(k, settings)).join(', ')}).`,
    );
  }
  return { dataset: datasetName(dir, settings), files, missing };
}
