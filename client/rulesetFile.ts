// Reading a ruleset file for a run. A ruleset may keep its bundles in a file of their own
// (`bundles_file: bundles.yaml`, relative to the ruleset); the client inlines that file under
// `bundles:` so that what a run stores, hashes into the model version and hands to the workers
// is one self-contained YAML text. The bundles file must be a regular file inside the ruleset's
// directory (common/containedFile.ts): no "..", no absolute path, no link that leads outside.
import path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { FileRefused, readContainedText, readNamedText } from '../common/containedFile';
import { parseBundlesYaml } from '../domain/bundles';

/** A ruleset or bundles file is configuration: a few kilobytes, never megabytes. */
const RULESET_MAX_BYTES = 1024 * 1024;

export function readRulesetText(rulesetPath: string): string {
  const text = readRuleset(rulesetPath);
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents) || !doc.has('bundles_file')) return text; // parseRuleset reports it
  const source = path.basename(rulesetPath);
  const file = doc.get('bundles_file');
  if (typeof file !== 'string' || file.trim() === '') throw new Error(`${source}: bundles_file must be a file name, relative to the ruleset.`);
  if (doc.has('bundles')) throw new Error(`${source}: has both bundles and bundles_file; keep the bundles in one place.`);
  const dir = path.dirname(path.resolve(rulesetPath));
  let bundlesText: string | undefined;
  try {
    bundlesText = readContainedText(dir, file, `${source}: bundles_file`, RULESET_MAX_BYTES);
  } catch (error) {
    if (error instanceof FileRefused) throw new Error(`${error.message} Nothing of it was read.`);
    throw error;
  }
  if (bundlesText === undefined) throw new Error(`${source}: bundles_file ${file} does not exist (looked for ${path.join(dir, file)}).`);
  // Checked on its own first, so that its errors name the bundles file rather than the ruleset.
  parseBundlesYaml(bundlesText, path.basename(file));
  const bundlesDoc = parseDocument(bundlesText);
  doc.delete('bundles_file');
  doc.set('bundles', bundlesDoc.get('bundles', true));
  return `# bundles inlined from ${file}\n${doc.toString()}`;
}

function readRuleset(rulesetPath: string): string {
  try {
    const text = readNamedText(rulesetPath, 'The ruleset file', RULESET_MAX_BYTES);
    if (text === undefined) throw new Error(`The ruleset file ${rulesetPath} does not exist.`);
    return text;
  } catch (error) {
    if (error instanceof FileRefused) throw new Error(`${error.message} Nothing of it was read.`);
    throw error;
  }
}
