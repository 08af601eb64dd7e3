// Generates a whole synthetic CSV dataset directory (docs/decisions.md, "Input"): workspaces, payments, refunds,
// integrations, calls and SMS for N accounts, deterministically from a seed.
//
// Why it streams: benchmarks need 100k–1M accounts, i.e. 15–150 million usage rows and several
// gigabytes of CSV. Accounts are generated one at a time as bytes in reused buffers (account.ts),
// copied into six buffered writers that hand 64 KiB chunks to the file streams and wait for
// 'drain' when a stream falls behind (writer.ts), so memory stays flat whatever the number of
// accounts, and the disk, not the heap, absorbs the output.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AccountGenerator } from './account';
import { DATASET_FILES } from './files';
import type { GenerateOptions } from './options';
import { BufferedFileWriter } from './writer';
import type { BufferedWriterOptions } from './writer';

export interface Progress {
  accountsDone: number;
  accounts: number;
  rows: number;
  elapsedMs: number;
}

export interface FileSummary {
  name: string;
  rows: number;
  bytes: number;
}

export interface DatasetSummary {
  outDir: string;
  accounts: number;
  files: FileSummary[];
  totalRows: number;
  totalBytes: number;
  elapsedMs: number;
}

export interface GenerateHooks {
  /** Called at most once per `progressIntervalMs` (default 1000) while generating. */
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  writer?: BufferedWriterOptions;
}

export async function generateDataset(options: GenerateOptions, hooks: GenerateHooks = {}): Promise<DatasetSummary> {
  const started = performance.now();
  const interval = hooks.progressIntervalMs ?? 1000;
  await mkdir(options.outDir, { recursive: true });
  const generator = new AccountGenerator(options);
  const sinks = DATASET_FILES.map((file) => ({
    key: file.key,
    name: file.name,
    header: file.header,
    writer: new BufferedFileWriter(join(options.outDir, file.name), hooks.writer),
  }));

  try {
    for (const sink of sinks) sink.writer.appendText(`${sink.header}\n`);

    let rows = 0;
    let lastReport = started;
    for (let a = 1; a <= options.accounts; a++) {
      const lines = generator.next();
      for (const sink of sinks) {
        const data = lines.data[sink.key];
        if (sink.writer.append(data.buf, data.len, lines.rows[sink.key])) await sink.writer.drain();
      }
      rows += lines.totalRows;
      // The loop is synchronous between drains; yielding now and then lets the event loop hand the
      // queued chunks to the file system, so that disk writes overlap generation.
      if ((a & 31) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (hooks.onProgress && (a & 63) === 0) {
        const now = performance.now();
        if (now - lastReport >= interval) {
          lastReport = now;
          hooks.onProgress({ accountsDone: a, accounts: options.accounts, rows, elapsedMs: now - started });
        }
      }
    }

    const bytes = await Promise.all(sinks.map((sink) => sink.writer.close()));
    const files = sinks.map((sink, i) => ({ name: sink.name, rows: sink.writer.rows, bytes: bytes[i] ?? 0 }));
    return {
      outDir: options.outDir,
      accounts: options.accounts,
      files,
      totalRows: files.reduce((s, f) => s + f.rows, 0),
      totalBytes: files.reduce((s, f) => s + f.bytes, 0),
      elapsedMs: performance.now() - started,
    };
  } catch (err) {
    await Promise.allSettled(sinks.map((sink) => sink.writer.abort()));
    throw err;
  }
}
