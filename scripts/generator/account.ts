// One account's worth of CSV lines for the synthetic dataset (SPEC §3.1), shaped to exercise the
// engine's per-account context (SPEC §4).
//
// An account is a workspace `w{n}` owned by `u{n}` with 0–4 members `u{n}m{k}`. Its owner (or, for
// a few accounts, a member) pays a monthly subscription from a start month to the end of the range
// or to a churn month; a few accounts never pay, some pay a one-off add-on, ~8 % get one or two
// refunds (full or partial, with or without `payment_id`). About 0.5 % of workspaces also list a
// member of the previous account (an ambiguous user, SPEC §3.1) and about 1 % of payments come from
// a stray payer `u{n}x` that no workspace lists (an unmatched user). Integration platforms are
// connected by the owner or members, sometimes before the first payment, some are disconnected and
// reconnected, a few accounts carry an orphan `disconnected`. About K usage rows (80 % calls, 20 %
// SMS) fall mostly inside connection windows or on the always-available `web`/`mobile`, some
// before the first payment, after a refund or on platforms never connected.
//
// Everything is drawn from a PRNG stream keyed by (seed, account number), so an account's content
// does not depend on the accounts before it; only the running ids (`p{n}`, `r{n}`, `i{n}`, `c{n}`,
// `s{n}`) and the ambiguous-member link to the previous account carry over, which is why accounts
// must be generated in order with `next()`. Lines are written as ASCII bytes into per-file buffers
// that are reused between accounts (bytes.ts), so a row costs no allocation at all.

import { ByteBuilder, COMMA, NEWLINE, SEMICOLON, asciiBytes } from './bytes';
import { Calendar, SECONDS_PER_DAY, TIMESTAMP_BYTES, intDiv } from './calendar';
import type { FileKey } from './files';
import { FILE_KEYS } from './files';
import { Sfc32, cumulative } from './prng';

export interface GeneratorConfig {
  seed: number;
  startYear: number;
  /** 1–12 */
  startMonth: number;
  months: number;
  /** Average number of usage rows (calls + SMS) per account. */
  usagePerAccount: number;
}

/** The lines of one account per file, as ASCII bytes `data[key].buf[0, data[key].len)`, each line ending in `\n`. */
export interface AccountLines {
  account: number;
  data: Record<FileKey, ByteBuilder>;
  rows: Record<FileKey, number>;
  totalRows: number;
}

export const INTEGRATION_PLATFORMS = ['hubspot', 'salesforce', 'zapier', 'pipedrive', 'slack', 'intercom', 'zoho'] as const;
export const ALWAYS_AVAILABLE_PLATFORMS = ['web', 'mobile'] as const;
const PLATFORM_BYTES: readonly Uint8Array[] = [...INTEGRATION_PLATFORMS, ...ALWAYS_AVAILABLE_PLATFORMS].map(asciiBytes);
const N_INTEGRATIONS = INTEGRATION_PLATFORMS.length;
const WEB = N_INTEGRATIONS;
const MOBILE = N_INTEGRATIONS + 1;

const CURRENCY_BYTES: readonly Uint8Array[] = ['USD', 'EUR'].map(asciiBytes);
const EUR = 1;
/** Monthly plan prices in units of 0.0001, per currency (same plan ladder). */
const PLAN_PRICES: readonly (readonly number[])[] = [
  [199_900, 299_900, 490_000, 999_900, 1_495_000, 2_490_000, 4_990_000], // 19.99 … 499.00 USD
  [184_900, 279_500, 450_000, 925_000, 1_389_900, 2_290_000, 4_590_000], // 18.49 … 459.00 EUR
];
const PLAN_CDF = cumulative([30, 20, 18, 14, 8, 6, 4]);
const MEMBER_COUNT_CDF = cumulative([30, 30, 20, 12, 8]); // 0–4 members; 70 % have at least one
const PLATFORM_COUNT_CDF = cumulative([22, 35, 23, 12, 8]); // 0–4 connected platforms
const SEGMENTS_CDF = cumulative([3, 62, 20, 8, 4, 2, 1]); // SMS segments 0–6

// Probabilities of the dataset's shape.
const P_EUR = 0.05;
const P_NEVER_PAYS = 0.03;
const P_STARTS_AT_RANGE_START = 0.4;
const P_CHURN = 0.2;
const P_PRORATED_FIRST_PAYMENT = 0.15;
const P_UPGRADE = 0.08;
const P_MEMBER_PAYS = 0.05;
const P_ADDON = 0.04;
/** Stray payers pay ~6.5 months on average vs ~8 for accounts, so 1.2 % of accounts ≈ 1 % of payments. */
const P_STRAY_PAYER = 0.012;
/** ~0.5 % of all accounts, applied to the ~70 % whose previous account has members. */
const P_AMBIGUOUS_MEMBER = 0.005 / 0.7;
const P_REFUND = 0.08;
const P_SECOND_REFUND = 0.12;
const P_FULL_REFUND = 0.35;
const P_REFUND_NAMES_PAYMENT = 0.7;
const P_CONNECT_BEFORE_FIRST_PAYMENT = 0.15;
const P_SECOND_USER_CONNECTS = 0.1;
const P_ORPHAN_DISCONNECT = 0.02;
const P_NO_USAGE = 0.03;
const P_SMS = 0.2;

const CONNECTED = 0;
const DISCONNECTED = 1;
const ACTION_BYTES: readonly Uint8Array[] = ['connected', 'disconnected'].map(asciiBytes);
/** The three accepted spellings of a call duration: `431.0 seconds`, `431 s`, `431`. */
const DURATION_SUFFIX_BYTES: readonly Uint8Array[] = ['.0 seconds', ' s', ''].map(asciiBytes);
/** Events and usage rows are sorted as numbers `second * 1024 + payload` (exact below 2^53). */
const KEY_SHIFT = 1024;
/** Room reserved per line; every generated line is shorter. */
const LINE_BYTES = 160;
/** User slots: 0 = owner, 1–4 = members, 5 = the stray (unmatched) payer. */
const STRAY = 5;
const USER_SLOT_BYTES = 32;

