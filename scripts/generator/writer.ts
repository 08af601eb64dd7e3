// Buffered, backpressure-aware text file writer for the dataset generator.
//
// Lines are appended to an in-memory string until it reaches `chunkChars` (64 KiB by default);
// the chunk then goes to a fs.WriteStream in one write() call, and when the stream reports that its
// queue is full we wait for 'drain'. Memory per file is therefore bounded by roughly
// chunkChars + highWaterMark however many rows are written. The file is written under a
// `.partial` name and renamed into place only when it is complete, so an interrupted run never
// leaves a truncated file under the final name.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

export interface BufferedWriterOptions {
  /** Flush threshold for the in-memory chunk, in characters (the data is ASCII: = bytes). */
  chunkChars?: number;
  /** Queue size of the underlying stream before write() asks us to wait for 'drain'. */
  highWaterMark?: number;
}

export class BufferedFileWriter {
  rows = 0;
  private buffer = '';
  private failure: Error | undefined;
  private readonly stream: WriteStream;
  private readonly partialPath: string;
  private readonly chunkChars: number;

  constructor(
    readonly path: string,
    options: BufferedWriterOptions = {},
  ) {
    this.chunkChars = options.chunkChars ?? 64 * 1024;
    this.partialPath = `${path}.partial`;
    this.stream = createWriteStream(this.partialPath, { highWaterMark: options.highWaterMark ?? 1024 * 1024 });
    // Remember the first error (open, write, close); it is rethrown at the next flush/close.
    this.stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /** Appends text holding `rows` lines; returns true when the chunk is full and flush() is due. */
  append(text: string, rows: number): boolean {
    this.buffer += text;
    this.rows += rows;
    return this.buffer.length >= this.chunkChars;
  }

  /** Hands the buffered chunk to the stream and waits for 'drain' if the stream is saturated. */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain'); // rejects on 'error'
  }

  /** Flushes, closes and renames the file into place; returns its size in bytes. */
  async close(): Promise<number> {
    await this.flush();
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
}
