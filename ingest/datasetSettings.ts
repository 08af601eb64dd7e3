// dataset.yaml (docs/decisions.md, "Input"): optional settings beside the CSV files. Validated with zod; every
// problem names the key. Without the file the defaults below apply.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { unsafeNameReason } from '../common/containedFile';
import { YAML_MAX_ALIAS_COUNT } from '../domain/rulesetYaml';
import { parseId } from './fields';
import { ISO_4217_CODES } from './iso4217';
import { CSV_KINDS, FILE_SPECS, type CsvKind } from './fileSpecs';

const columnMap = (kind: CsvKind) =>
  z.strictObject(Object.fromEntries(FILE_SPECS[kind].columns.map((c) => [c, z.string().min(1).optional()]))).optional();

/** A file of the dataset, named relative to the directory: never outside it (common/containedFile.ts). */
const fileName = z.string().min(1).superRefine((name, ctx) => {
  const reason = unsafeNameReason(name);
  if (reason) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} ${reason}` });
});

/** A name the dataset gives (its own name, a platform alias): the rules of ids (ingest/fields.ts). */
const nameText = z.string().superRefine((name, ctx) => {
  const checked = parseId(name);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.reason.replace('an id', 'a name'), input: name });
});

const SettingsSchema = z.strictObject({
  /** A name for the dataset in the ingest log; defaults to the directory name. */
  name: nameText.optional(),
  /** Per file: canonical column → the column's name in this dataset's header. */
  columns: z.strictObject(Object.fromEntries(CSV_KINDS.map((k) => [k, columnMap(k)]))).optional(),
  /** Per file: the file name, when it is not the canonical one. */
  files: z.strictObject(Object.fromEntries(CSV_KINDS.map((k) => [k, fileName.optional()]))).optional(),
  /** Used when a billing row's currency cell is empty. */
  default_currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code').optional(),
  /** Currency codes that are not ISO 4217 but are meant (a test code like XTS): allowed in billing rows. */
  extra_currencies: z.array(z.string().regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code')).max(100).optional(),
  /** Alternative platform names → canonical name (both compared trimmed and lower-cased). */
  platform_aliases: z.record(nameText, nameText).optional(),
  /** IANA zone for timestamps that carry no offset, e.g. Asia/Kathmandu. */
  timezone: z.string().min(1).optional(),
  /** Rows of usage/integration files that may be quarantined before the file fails (default 0: strict). */
  max_rejects: z.number().int().min(0).optional(),
});

export interface DatasetSettings {
  name: string | undefined;
  columns: Partial<Record<CsvKind, Partial<Record<string, string>>>>;
  files: Partial<Record<CsvKind, string>>;
  defaultCurrency: string | undefined;
  extraCurrencies: ReadonlySet<string>;
  platformAliases: Map<string, string>;
  timeZone: string | undefined;
  maxRejects: number | undefined;
}

export class DatasetSettingsError extends Error {}

export function parseDatasetSettings(yamlText: string | undefined, source = 'dataset.yaml'): DatasetSettings {
  let raw: unknown = {};
  if (yamlText !== undefined) {
    try {
      // The library's default guard, made explicit: aliases expand within a fixed budget.
      raw = parseYaml(yamlText, { maxAliasCount: YAML_MAX_ALIAS_COUNT }) ?? {};
    } catch (error) {
      if (error instanceof ReferenceError) {
        throw new DatasetSettingsError(`${source}: its aliases (*name) expand to too much (more than ${YAML_MAX_ALIAS_COUNT} alias expansions); write the values out`);
      }
      throw new DatasetSettingsError(`${source}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new DatasetSettingsError(`${source} is invalid:\n${problems.join('\n')}`);
  }
  const s = parsed.data;
  if (s.timezone && !isValidTimeZone(s.timezone)) {
    throw new DatasetSettingsError(`${source}: timezone: "${s.timezone}" is not an IANA time zone like Europe/Berlin or Asia/Kathmandu`);
  }
  const extra = new Set((s.extra_currencies ?? []).map((c) => c.toUpperCase()));
  const fallback = s.default_currency?.toUpperCase();
  if (fallback && !ISO_4217_CODES.has(fallback) && !extra.has(fallback)) {
    throw new DatasetSettingsError(`${source}: default_currency: "${fallback}" is not an ISO 4217 currency code; correct it, or list it under extra_currencies`);
  }
  const norm = (v: string) => v.trim().toLowerCase();
  return {
    name: s.name,
    columns: (s.columns ?? {}) as DatasetSettings['columns'],
    files: (s.files ?? {}) as DatasetSettings['files'],
    defaultCurrency: fallback,
    extraCurrencies: extra,
    platformAliases: new Map(Object.entries(s.platform_aliases ?? {}).map(([from, to]) => [norm(from), norm(to)])),
    timeZone: s.timezone,
    maxRejects: s.max_rejects,
  };
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The settings that change how one kind of file is read: part of that file's load key. */
export function settingsFingerprint(settings: DatasetSettings, kind: CsvKind): string {
  return JSON.stringify({
    columns: settings.columns[kind] ?? {},
    currency: FILE_SPECS[kind].billing ? (settings.defaultCurrency ?? null) : null,
    // Only when set, so that the load keys of datasets without the key stay as they were.
    ...(FILE_SPECS[kind].billing && settings.extraCurrencies.size > 0 ? { extraCurrencies: [...settings.extraCurrencies].sort() } : {}),
    aliases: FILE_SPECS[kind].hasPlatform ? [...settings.platformAliases].sort() : [],
    timeZone: settings.timeZone ?? null,
  });
}
