// Reading a dataset directory: which CSV files it has, its settings, each file's checksum.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileRefused, openContainedFile, readContainedText, type OpenedFile } from '../../common/containedFile';
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
  try {
    const text = readContainedText(dir, 'dataset.yaml', 'The dataset settings file', SETTINGS_MAX_BYTES);
    return parseDatasetSettings(text, settingsPath);
  } catch (error) {
    if (error instanceof DatasetSettingsError || error instanceof FileRefused) throw inputFailure(ErrorType.InvalidDataset, error.message);
    throw error;
  }
}

/** dataset.yaml is a handful of settings; a larger file is not one. */
const SETTINGS_MAX_BYTES = 1024 * 1024;

/**
 * Opens one of the dataset's files for reading, inside the dataset directory only
 * (common/containedFile.ts); undefined when it does not exist. A refusal names the file and why.
 */
export function openDatasetFile(dir: string, fileName: string): OpenedFile | undefined {
  try {
    return openContainedFile(dir, fileName, 'The dataset file');
  } catch (error) {
    if (error instanceof FileRefused) throw inputFailure(ErrorType.InvalidDataset, `${error.message} Nothing of it was read.`);
    throw error;
  }
}

export function datasetName(dir: string, settings: DatasetSettings): string {
  return settings.name ?? path.basename(path.resolve(dir));
}

export function fileNameFor(kind: CsvKind, settings: DatasetSettings): string {
  return settings.files[kind] ?? FILE_SPECS[kind].fileName;
}

/** The sha256 of an opened file's content; closes the descriptor. */
export async function sha256OfOpened(opened: OpenedFile): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream('', { fd: opened.fd, autoClose: true })) hash.update(chunk as Buffer);
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
    const opened = openDatasetFile(dir, fileName);
    if (!opened) {
      missing.push(kind);
      continue;
    }
    const contentSha256 = await sha256OfOpened(opened);
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
