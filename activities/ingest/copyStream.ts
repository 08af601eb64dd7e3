// A COPY ... FROM STDIN that stops at the server's error. Once the server has failed the COPY (a
// unique violation, a bad value), the connection has moved on: writing more would reach a stream
// that is gone (`Cannot read properties of null (reading 'stream')`). Every write checks first
// and stops with the server's error, which the caller can act on (23505: fall back to staging).
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface CopyWriter {
  /** Writes COPY text, waiting for the stream to drain; throws the server's error once there is one. */
  send(text: string): Promise<void>;
  /** Ends the COPY and waits for the server to confirm it. */
  finish(): Promise<void>;
  /**
   * Aborts the COPY (the server gets CopyFail, so the transaction can roll back) and returns the
   * error that says what happened: the server's, when it failed first, else `cause`.
   */
  abort(cause: unknown): Promise<unknown>;
  /** The server's own error, if it failed the COPY. */
  readonly serverError: Error | undefined;
}

export function openCopy(client: pg.PoolClient, sql: string): CopyWriter {
  const copy = client.query(copyFrom(sql));
  const copied = new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve);
    copy.once('error', reject);
  });
  copied.catch(() => undefined); // observed in finish/abort; this keeps an early server error from being "unhandled"
  let serverError: Error | undefined;
  let aborted = false; // after our own abort, the server's answer ("COPY from stdin failed") is not news
  copy.on('error', (error: Error) => {
    if (!aborted) serverError ??= error;
  });
  const drained = () => new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      copy.off('drain', done);
      copy.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    copy.once('drain', done);
    copy.once('error', done);
  });
  return {
    async send(text) {
      if (serverError) throw serverError;
      if (!copy.write(text)) await drained();
      if (serverError) throw serverError;
    },
    async finish() {
      if (serverError) throw serverError;
      copy.end();
      await copied;
    },
    async abort(cause) {
      aborted = true;
      if (!serverError) copy.destroy(cause instanceof Error ? cause : new Error(String(cause)));
      await copied.catch(() => undefined);
      return serverError ?? cause;
    },
    get serverError() {
      return serverError;
    },
  };
}
