// The engine's half of the cross-check (docs/data-driven-books.md; not part of `npm test`):
// ingests a dataset on a throwaway stack, runs the three data-driven books over all time as of
// the cutoff, and writes the reports plus the exact stored models and the time-decay ledger
// lines of every payment, for scripts/crosscheck/crosscheck.py to compare.
//
//   npx tsx scripts/crosscheck/engine.ts --dataset DIR --as-of 2025-01-01 --out OUT
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { modelVersion, parseRuleset } from '../../domain/ruleset';
import { learnedModelsOf, removalEffectsOf, shapleyValuesOf } from '../../store/learnedModelReads';
import { runBookLines } from '../../store/ledgerReads';
import type { AttributionRunInput, AttributionRunResult } from '../../workflows/attributionRun';
import { withThrowawayStack } from '../throwawayStack';

const { values } = parseArgs({ options: { dataset: { type: 'string' }, 'as-of': { type: 'string' }, out: { type: 'string' } } });
if (!values.dataset || !values['as-of'] || !values.out) throw new Error('usage: engine.ts --dataset DIR --as-of ISO --out DIR');
const dataset = path.resolve(values.dataset);
const out = path.resolve(values.out);
const asOf = new Date(values['as-of']).toISOString();
const rulesetPath = path.join(path.dirname(new URL(import.meta.url).pathname), 'ruleset.yaml');
const yaml = fs.readFileSync(rulesetPath, 'utf8');

await withThrowawayStack(async (stack) => {
  Object.assign(process.env, { DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.namespace });
  const { createTestDatabase } = await import('../../test/helpers/database');
  const { connectTestTemporal } = await import('../../test/helpers/temporal');
  const db = await createTestDatabase('crosscheck');
  const temporal = await connectTestTemporal('crosscheck');
  const worker = await temporal.startWorker(db.pool);
  try {
    const q = temporal.taskQueue;
    await temporal.client.workflow.execute('ingestDataset', { workflowId: `ingest/${q}`, taskQueue: q, args: [{ dir: dataset, maxRejects: null }] });
    const ruleset = parseRuleset(yaml, 'crosscheck.yaml');
    const input: AttributionRunInput = {
      kind: 'run', rulesetYaml: yaml, rulesetSource: 'crosscheck.yaml', modelVersion: modelVersion(ruleset),
      from: null, to: asOf, asOf, books: ruleset.default_books, outDir: out,
    };
    const started = Date.now();
    const result = await temporal.client.workflow.execute('attributionRun', { workflowId: `crosscheck/${q}`, taskQueue: q, args: [input] }) as AttributionRunResult;
    console.log(`run ${result.runId}: ${result.progress.accounts} accounts, ${result.progress.linesWritten} lines in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    fs.mkdirSync(out, { recursive: true }); // the run writes no reports here: it may not exist
    const dump = (file: string, lines: ReadonlyArray<string>) => fs.writeFileSync(path.join(out, file), lines.join('\n') + '\n');
    const learned = await learnedModelsOf(db.pool, result.runId, input.modelVersion);
    dump('engine_removal_effects_exact.tsv', (await removalEffectsOf(db.pool, result.runId)).map((r) => `${r.channel}\t${r.exact}`));
    dump('engine_shapley_exact.tsv', (await shapleyValuesOf(db.pool, result.runId)).map((r) => `${r.coalition}\t${r.channel}\t${r.exact}`));
    dump('engine_learned.tsv', learned ? [`${learned.journeys}\t${learned.converting}\t${learned.withoutChannels}\t${learned.conversionProbability ?? ''}`] : []);
    dump('engine_time_decay_lines.tsv', (await runBookLines(db.pool, result.runId, 'time_decay', 'payment')).map((r) => `${r.transactionId}\t${r.channel}\t${r.amount}`));
  } finally {
    worker.worker.shutdown();
    await worker.done;
    await temporal.close();
    await db.drop();
  }
});
