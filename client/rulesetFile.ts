// Reading a ruleset file for a run. A ruleset may keep its bundles in a file of their own
// (`bundles_file: bundles.yaml`, relative to the ruleset); the client inlines that file under
// `bundles:` so that what a run stores, hashes into the model version and hands to the workers
// is one self-contained YAML text.
import fs from 'node:fs';
import path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { parseBundlesYaml } from '../domain/bundles';

export function readRulesetText(rulesetPath: string): string {
  const text = fs.readFileSync(rulesetPath, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents) || !doc.has('bundles_file')) return text; // parseRuleset reports it
  const source = path.basename(rulesetPath);
  const file = doc.get('bundles_file');
  if (typeof file !== 'string' || file.trim() === '') throw new Error(`${source}: bundles_file must be a file name, relative to the ruleset.`);
  if (doc.has('bundles')) throw new Error(`${source}: has both bundles and bundles_file; keep the bundles in one place.`);
  const bundlesPath = path.resolve(path.dirname(rulesetPath), file);
  if (!fs.existsSync(bundlesPath)) throw new Error(`${source}: bundles_file ${file} does not exist (looked for ${bundlesPath}).`);
  const bundlesText = fs.readFileSync(bundlesPath, 'utf8');
  // Checked on its own first, so that its errors name the bundles file rather than the ruleset.
  parseBundlesYaml(bundlesText, path.basename(bundlesPath));
  const bundlesDoc = parseDocument(bundlesText);
  doc.delete('bundles_file');
  doc.set('bundles', bundlesDoc.get('bundles', true));
  return `# bundles inlined from ${file}\n${doc.toString()}`;
}
