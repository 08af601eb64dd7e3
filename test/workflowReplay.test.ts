// Determinism guard: every recorded history in test/fixtures/histories must replay against the
// current workflow code. A failure here means a change would break workflows already running:
// guard it with patched() and record the histories again (npm run record-histories).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { PROJECT_ROOT } from '../common/config';
import { workflowBundle } from '../worker/createWorker';
import * as workflows from '../workflows';

const DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
/** file → the workflow id it was recorded under (child workflow ids derive from it). */
const index = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8')) as Record<string, string>;
const files = Object.keys(index).sort();

describe('recorded workflow histories replay against the current code', () => {
  it('has a history of every workflow', () => {
    const types = files.map((f) => f.replace(/(-continued-as-new)?\.json$/, ''));
    assert.deepEqual(types.sort(), Object.keys(workflows).sort());
  });

  for (const file of files) {
    it(file, async () => {
      const history = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as unknown;
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, index[file]);
    });
  }
});
