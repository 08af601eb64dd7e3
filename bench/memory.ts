// Peak memory of the processes a bench watches, sampled from /proc (Linux only): the worker
// process(es) (or the bench process itself in direct mode) and the Postgres server's processes.
// Postgres backends all map the same shared buffers, so summing their RSS would count those
// pages once per backend: its figure is the sum of private (anonymous) memory plus the largest
// shared mapping, i.e. what the server really holds.
import fs from 'node:fs';

export interface MemoryPeaks {
  /** Peak of the summed RSS of the watched worker processes, bytes. */
  workerPeakBytes: number;
  /** Peak RSS of any one of them, bytes. */
  workerProcessPeakBytes: number;
  /** Peak of Σ RssAnon + max RssShmem over the Postgres processes, bytes. */
  postgresPeakBytes: number;
}

interface ProcMemory {
  rss: number;
  anon: number;
  shmem: number;
}

function readMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // exited
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), shmem: kb('RssShmem') };
}

/** The postmaster listening on `port` and its children (backends, checkpointer, ...). */
export function postgresPids(port: number): number[] {
  if (!fs.existsSync('/proc')) return [];
  const pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  let postmaster: number | undefined;
  const parents = new Map<number, number>();
  for (const pid of pids) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (postmaster === undefined && cmdline[0]?.endsWith('postgres') && cmdline.includes('-p') && cmdline[cmdline.indexOf('-p') + 1] === String(port)) {
        postmaster = pid;
      }
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // a process that exited while we looked
    }
  }
  if (postmaster === undefined) return [];
  return [postmaster, ...[...parents].filter(([, ppid]) => ppid === postmaster).map(([pid]) => pid)];
}

/** Samples every `intervalMs` until stopped. `workers()` is asked each time (workers may restart). */
export function sampleMemory(workers: () => number[], postgresPort: number | undefined, intervalMs = 100): { stop(): MemoryPeaks; mark(): MemoryPeaks } {
  const peaks: MemoryPeaks = { workerPeakBytes: 0, workerProcessPeakBytes: 0, postgresPeakBytes: 0 };
  let sinceMark: MemoryPeaks = { workerPeakBytes: 0, workerProcessPeakBytes: 0, postgresPeakBytes: 0 };
  let pgPids: number[] = [];
  let tick = 0;
  const sample = () => {
    const rss = workers().map((pid) => readMemory(pid)?.rss ?? 0);
    const w = rss.reduce((sum, r) => sum + r, 0);
    for (const p of [peaks, sinceMark]) {
      p.workerPeakBytes = Math.max(p.workerPeakBytes, w);
      p.workerProcessPeakBytes = Math.max(p.workerProcessPeakBytes, ...rss);
    }
    if (postgresPort !== undefined) {
      if (tick++ % 20 === 0) pgPids = postgresPids(postgresPort); // backends come and go
      const mems = pgPids.map(readMemory).filter((m): m is ProcMemory => m !== undefined);
      const pgBytes = mems.reduce((sum, m) => sum + m.anon, 0) + Math.max(0, ...mems.map((m) => m.shmem));
      peaks.postgresPeakBytes = Math.max(peaks.postgresPeakBytes, pgBytes);
      sinceMark.postgresPeakBytes = Math.max(sinceMark.postgresPeakBytes, pgBytes);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    /** The peaks since the previous mark (per phase). */
    mark() {
      sample();
      const m = sinceMark;
      sinceMark = { workerPeakBytes: 0, workerProcessPeakBytes: 0, postgresPeakBytes: 0 };
      return m;
    },
    stop() {
      clearInterval(timer);
      sample();
      return { ...peaks };
    },
  };
}
