// Buffered, backpressure-aware file writer for the dataset generator.
//
// Bytes are copied into a fixed chunk (64 KiB by default); a full chunk goes to a fs.WriteStream
// in one write() call and a fresh chunk is started (the stream keeps the old one until it is on
// disk). When the stream's queue passes its high-water mark, append() says so and the caller awaits
// drain(). Memory per file is therefore bounded by about chunkBytes + highWaterMark, however many
// rows are written. The file is written under a `.partial` name and renamed into place only when
// complete, so an interrupted run never leaves a truncated file under the final name.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

export interface BufferedWriterOptions {
  /** Size of the chunks handed to the stream, in bytes. */
  chunkBytes?: number;
  /** Queue size of the underlying stream beyond which the caller should await drain(). */
  highWaterMark?: number;
}

export class BufferedFileWriter {
  rows = 0;
  private chunk: Buffer;
  private used = 0;
  private failure: Error | undefined;
  private readonly stream: WriteStream;
  private readonly partialPath: string;
  private readonly chunkBytes: number;

  constructor(
    readonly path: string,
    options: BufferedWriterOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.partialPath = `${path}.partial`;
    this.stream = createWriteStream(this.partialPath, { highWaterMark: options.highWaterMark ?? 1024 * 1024 });
    // Remember the first error (open, write, close); it is rethrown by drain() and close().
    this.stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /**
   * Appends `data[0, length)` holding `rows` lines. The bytes are copied, so the caller may reuse
   * `data`. Returns true when the stream is saturated and the caller should `await drain()`.
   */
  append(data: Uint8Array, length: number, rows: number): boolean {
    this.rows += rows;
    let from = 0;
    while (from < length) {
      const n = Math.min(length - from, this.chunkBytes - this.used);
      this.chunk.set(data.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === this.chunkBytes) this.writeChunk();
    }
    // A failed stream also asks for drain(), which rethrows the error.
    return this.failure !== undefined || this.stream.writableNeedDrain;
  }

  appendText(text: string): boolean {
    const bytes = Buffer.from(text, 'utf8');
    return this.append(bytes, bytes.length, 0);
  }

  /** Resolves once the stream has drained its queue (at once if it is not saturated). */
  async drain(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain'); // rejects on 'error'
  }

  /** Writes what is left, closes and renames the file into place; returns its size in bytes. */
  async close(): Promise<number> {
    if (this.failure) throw this.failure;
    if (this.used > 0) this.writeChunk();
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
    await rename(this.partialPath, this.path);
    return this.stream.bytesWritten;
  }

  /** Abandons the file after an error: closes the stream and removes the partial file. */
  async abort(): Promise<void> {
    this.stream.destroy();
    await rm(this.partialPath, { force: true });
  }

  private writeChunk(): void {
    const full = this.used === this.chunkBytes ? this.chunk : this.chunk.subarray(0, this.used);
    this.stream.write(full);
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
  }
}
