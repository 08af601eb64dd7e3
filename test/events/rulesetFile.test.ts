// A ruleset that keeps its bundles in a file of their own: the CLI inlines the file, so the run's
// stored ruleset is self-contained and the bundles are part of the model version.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readRulesetText } from '../../client/rulesetFile';
import { modelVersion, parseRuleset } from '../../domain/ruleset';

const BUNDLES = 'bundles:\n  suite:\n    components: { calls: 0.25, sms: 0.75 }\n';

function files(ruleset: string, bundles?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruleset-file-'));
  fs.writeFileSync(path.join(dir, 'ruleset.yaml'), ruleset);
  if (bundles !== undefined) fs.writeFileSync(path.join(dir, 'bundles.yaml'), bundles);
  return path.join(dir, 'ruleset.yaml');
}

describe('readRulesetText', () => {
  it('inlines bundles_file: the same effective ruleset and model version as bundles written inline', () => {
    const viaFile = parseRuleset(readRulesetText(files('version: b\nbundles_file: bundles.yaml\nbooks:\n  pro_rata: {}\n', BUNDLES)), 'r.yaml');
    const inline = parseRuleset(`version: b\n${BUNDLES}books:\n  pro_rata: {}\n`, 'r.yaml');
    assert.deepEqual(viaFile.bundles, { suite: { components: { calls: '0.25', sms: '0.75' } } });
    assert.equal(modelVersion(viaFile), modelVersion(inline));
  });

  it('leaves a ruleset without bundles_file as it is', () => {
    const text = 'version: plain # a comment\n';
    assert.equal(readRulesetText(files(text)), text);
  });

  it('names the bundles file in its errors, and refuses two places for bundles or a missing file', () => {
    assert.throws(() => readRulesetText(files('version: b\nbundles_file: bundles.yaml\n', 'bundles:\n  a:\n    components: { a: 1 }\n')), /^RulesetError: ruleset bundles\.yaml: bundles: cycle a → a/);
    assert.throws(() => readRulesetText(files(`version: b\nbundles_file: bundles.yaml\n${BUNDLES}`, BUNDLES)), /ruleset\.yaml: has both bundles and bundles_file/);
    assert.throws(() => readRulesetText(files('version: b\nbundles_file: nope.yaml\n')), /ruleset\.yaml: bundles_file nope\.yaml does not exist/);
  });
});
