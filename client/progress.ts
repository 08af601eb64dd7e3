// Progress while a command waits on a workflow (docs/cli-and-worker.md, "CLI conventions"). On a
// terminal, one line redrawn in place every second; elsewhere (a pipe, a CI log) a plain line
// when the progress changed, at most every few seconds, never a template with placeholders.
// Progress goes to stderr, results to stdout; stop() ends the progress line before the caller
// prints its result, so the result is never overwritten.

export interface Ticker {
  /** Stops polling, waits for a poll in flight, and ends the progress line. */
  stop(): Promise<void>;
}

export interface TickerOptions {
  stream?: NodeJS.WriteStream;
  /** How often to poll (default 1 s). */
  everyMs?: number;
  /** Off a terminal: the least time between two printed lines (default 5 s). */
  plainEveryMs?: number;
}

const active = new Set<() => void>();

/** Polls `render` (a line, or null for nothing new to show) until stopped. */
export function startTicker(render: () => Promise<string | null>, options: TickerOptions = {}): Ticker {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const plainEveryMs = options.plainEveryMs ?? 5000;
  let last = '';
  let lastPrintedAt = 0;
  let drawn = false;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const show = (line: string) => {
    if (stopped || line === last) return;
    if (!tty && Date.now() - lastPrintedAt < plainEveryMs) return;
    last = line;
    lastPrintedAt = Date.now();
    // One row at most: a wrapped line could not be redrawn in place. Unknown width (0): no cut.
    const width = stream.columns > 20 ? stream.columns - 1 : line.length;
    if (tty) stream.write(`\r\x1b[2K${line.slice(0, width)}`);
    else stream.write(`${line}\n`);
    drawn = true;
  };
  const endLine = () => {
    stopped = true;
    clearInterval(timer);
    if (tty && drawn) stream.write('\n');
    drawn = false;
    active.delete(endLine);
  };
  let busy = false;
  const poll = () => {
    if (busy) return; // a slow poll (a query waiting for a worker): skip this tick
    busy = true;
    inFlight = render().then(
      (line) => { if (line !== null) show(line); },
      () => undefined,
    ).finally(() => (busy = false));
  };
  const timer = setInterval(poll, options.everyMs ?? 1000);
  active.add(endLine);
  poll(); // at once: a short run shows its progress too
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
      endLine();
    },
  };
}

/** Ends every progress line at once (Ctrl-C): what follows starts on a line of its own. */
export function stopAllTickers(): void {
  for (const end of [...active]) end();
}

/** A text bar: `██████░░░░ 3/5`. */
export function textBar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total}`;
}
