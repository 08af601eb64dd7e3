// attribution stack up|down|status
import type { Command } from 'commander';
import { loadConfig } from '../../common/config';
import { stackDown, stackStatus, stackUp } from '../../stack';
import { localPasswordFile, maskDatabaseUrl } from '../../stack/localPassword';
import { log } from '../session';

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('start, stop or inspect the local Postgres + Temporal stack');

  stack
    .command('up')
    .description('start the embedded Postgres and the Temporal dev server (Web UI included) unless DATABASE_URL / TEMPORAL_ADDRESS are set')
    .action(async () => {
      const config = loadConfig();
      const endpoints = await stackUp(config, log);
      console.log(`Postgres:    ${maskDatabaseUrl(endpoints.databaseUrl)}`);
      if (!config.databaseUrl) console.log(`             (password in ${localPasswordFile(config.home)}, readable by you only)`);
      console.log(`Temporal:    ${endpoints.temporalAddress} (namespace ${endpoints.namespace})`);
      console.log(`Temporal UI: ${endpoints.uiUrl ?? '(not started by this project)'}`);
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
    .description('show whether Postgres and Temporal answer, and where')
    .action(async () => {
      const config = loadConfig();
      const status = await stackStatus(config);
      const pg = status.postgres;
      const t = status.temporal;
      console.log(`Postgres:    ${pg ? `${pg.up ? 'up' : 'DOWN'}  ${maskDatabaseUrl(pg.url)}${pg.external ? ' (external)' : ''}` : 'not started (run `attribution stack up`)'}`);
      if (pg && !pg.external) console.log(`             (password in ${localPasswordFile(config.home)}, readable by you only)`);
      console.log(`Temporal:    ${t ? `${t.up ? 'up' : 'DOWN'}  ${t.address}${t.external ? ' (external)' : ''}` : 'not started (run `attribution stack up`)'}`);
      if (t?.uiUrl) console.log(`Temporal UI: ${t.uiUrl}`);
      console.log(`State:       ${config.home}`);
      if (!pg?.up || !t?.up) process.exitCode = 1;
    });
}
