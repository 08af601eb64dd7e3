// attribution stack up|down|status
import type { Command } from 'commander';
import { loadConfig } from '../../common/config';
import { stackDown, stackStatus, stackUp, type ResidentWorkerView } from '../../stack';
import { localPasswordFile, maskDatabaseUrl } from '../../stack/localPassword';
import { waitForResidentWorker } from '../../stack/residentWorker';
import { log } from '../session';

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('start, stop or inspect the local Postgres + Temporal stack');

  stack
    .command('up')
    .description('start the embedded Postgres, the Temporal dev server (Web UI included) and the resident worker, unless DATABASE_URL / TEMPORAL_ADDRESS are set')
    .action(async () => {
      const config = loadConfig();
      const endpoints = await stackUp(config, log);
      if (endpoints.residentWorker) await waitForResidentWorker(config);
      console.log(`Postgres:    ${maskDatabaseUrl(endpoints.databaseUrl)}`);
      if (!config.databaseUrl) console.log(`             (password in ${localPasswordFile(config.home)}, readable by you only)`);
      console.log(`Temporal:    ${endpoints.temporalAddress} (namespace ${endpoints.namespace})`);
      console.log(`Temporal UI: ${endpoints.uiUrl ?? '(not started by this project)'}`);
      console.log(`Worker:      ${workerLine((await stackStatus(config)).worker)}`);
      console.log(`State:       ${config.home}`);
    });

  stack
    .command('down')
    .description('stop what `stack up` started from this state folder (external services are left alone)')
    .action(async () => {
      await stackDown(loadConfig(), log);
      console.log('Stack stopped.');
    });

  stack
    .command('status')
    .description('show whether Postgres, Temporal and the resident worker are up, and where')
    .action(async () => {
      const config = loadConfig();
      const status = await stackStatus(config);
      const pg = status.postgres;
      const t = status.temporal;
      console.log(`Postgres:    ${pg ? `${pg.up ? 'up' : 'DOWN'}  ${maskDatabaseUrl(pg.url)}${pg.external ? ' (external)' : ''}` : 'not started (run `attribution stack up`)'}`);
      if (pg && !pg.external) console.log(`             (password in ${localPasswordFile(config.home)}, readable by you only)`);
      console.log(`Temporal:    ${t ? `${t.up ? 'up' : 'DOWN'}  ${t.address}${t.external ? ' (external)' : ''}` : 'not started (run `attribution stack up`)'}`);
      if (t?.uiUrl) console.log(`Temporal UI: ${t.uiUrl}`);
      console.log(`Worker:      ${workerLine(status.worker)}`);
      console.log(`State:       ${config.home}`);
      const workerDown = status.worker.state !== 'up' && status.worker.state !== 'external';
      if (!pg?.up || !t?.up || workerDown) process.exitCode = 1;
    });
}

export function workerLine(worker: ResidentWorkerView): string {
  switch (worker.state) {
    case 'external': return 'external cluster: run workers with `npm run worker`';
    case 'not started': return 'not started (run `attribution stack up`)';
    case 'up': return `up  pid ${worker.pid}, up since ${worker.since}, restarts ${worker.restarts}, log ${worker.logFile}`;
    case 'down': return `DOWN  its supervisor is not running (\`attribution stack up\` restarts it), log ${worker.logFile}`;
    default: return `${worker.state.toUpperCase()}  restarts ${worker.restarts}${worker.lastExit ? `, last exit ${worker.lastExit}` : ''}, log ${worker.logFile}`;
  }
}
