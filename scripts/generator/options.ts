// Validation of the generator's options, kept apart from the CLI so that it can be tested directly.

import type { GeneratorConfig } from './account';

export interface GenerateOptions extends GeneratorConfig {
  accounts: number;
  outDir: string;
}

/** Option values as commander hands them over (strings, defaults already applied). */
export interface RawGenerateOptions {
  accounts?: string;
  seed?: string;
  out?: string;
  months?: string;
  start?: string;
  usagePerAccount?: string;
}

/** A bad argument; the message names the option and the offending value. */
export class OptionError extends Error {
  override name = 'OptionError';
}

export const LIMITS = {
  maxAccounts: 100_000_000,
  maxSeed: 0xffff_ffff,
  maxMonths: 240,
  maxUsagePerAccount: 100_000,
  minYear: 1970,
  maxYear: 9999,
} as const;

function integer(flag: string, raw: string | undefined, what: string, min: number, max: number): number {
  const text = (raw ?? '').trim();
  if (!/^\d+$/.test(text)) throw new OptionError(`${flag} must be ${what} (got ${JSON.stringify(raw ?? '')})`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new OptionError(`${flag} must be ${what} (got ${JSON.stringify(raw)})`);
  if (value > max) throw new OptionError(`${flag} must be at most ${max} (got ${JSON.stringify(raw)})`);
  return value;
}

export function parseGenerateOptions(raw: RawGenerateOptions): GenerateOptions {
  const accounts = integer('--accounts', raw.accounts, 'a positive integer', 1, LIMITS.maxAccounts);
  const seed = integer('--seed', raw.seed, `an integer from 0 to ${LIMITS.maxSeed}`, 0, LIMITS.maxSeed);
  const months = integer('--months', raw.months ?? '12', 'a positive integer', 1, LIMITS.maxMonths);
  const usagePerAccount = integer('--usage-per-account', raw.usagePerAccount ?? '150', 'a non-negative integer', 0, LIMITS.maxUsagePerAccount);

  const startText = (raw.start ?? '2024-01').trim();
  const match = /^(\d{4})-(\d{2})$/.exec(startText);
  const startYear = match ? Number(match[1]) : NaN;
  const startMonth = match ? Number(match[2]) : NaN;
  if (!match || startMonth < 1 || startMonth > 12 || startYear < LIMITS.minYear) {
    throw new OptionError(`--start must be a month YYYY-MM from ${LIMITS.minYear}-01 (got ${JSON.stringify(raw.start)})`);
  }
  const lastMonthIndex = startYear * 12 + (startMonth - 1) + months - 1;
  if (lastMonthIndex > LIMITS.maxYear * 12 + 11) {
    throw new OptionError(`--start ${startText} with --months ${months} ends after ${LIMITS.maxYear}-12`);
  }

  const outDir = (raw.out ?? '').trim();
  if (outDir === '') throw new OptionError('--out must name a directory (got "")');

  return { accounts, seed, months, startYear, startMonth, usagePerAccount, outDir };
}
