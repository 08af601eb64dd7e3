// Ctrl-C on a command that follows a workflow (run, backfill, replay, ingest) detaches from it
// (docs/cli-and-worker.md, "CLI conventions"): the workflow keeps running on the worker, the command
// says how to follow it and exits with 130 (128 + SIGINT, what shells report for an interrupted
// command; 143 for SIGTERM), with no stack trace.
import { stopAllTickers } from './progress';

let following: { workflowId: string; url: string | undefined } | undefined;

/** The workflow this command now waits on: what Ctrl-C detaches from. */
export function followingWorkflow(workflowId: string, url: string | undefined): void {
  following = { workflowId, url };
}

export function detachMessage(workflowId: string, url: string | undefined): string {
  return [
    `Detached from ${workflowId}; it keeps running on the worker.`,
    `Follow it with: npx attribution status '${workflowId}'`,
    ...(url ? [`or in the Temporal UI: ${url}`] : []),
  ].join('\n');
}

/** Installs the handlers once, at start-up. */
export function detachOnInterrupt(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    // A command with a shutdown of its own (serve) and nothing followed: leave the signal to it.
    if (!following && process.listenerCount(signal) > 0) return;
    stopAllTickers();
    process.stderr.write(`\n${following ? detachMessage(following.workflowId, following.url) : 'Interrupted.'}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
