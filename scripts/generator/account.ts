// One account's worth of CSV lines for the synthetic dataset (docs/decisions.md, "Input"), shaped to exercise the
// engine's per-account context (docs/decisions.md, "Contexts").
//
// An account is a workspace `w{n}` owned by `u{n}` with 0–4 members `u{n}m{k}`. Its owner (or, for
// a few accounts, a member) pays a monthly subscription from a start month to the end of the range
// or to a churn month; a few accounts never pay, some pay a one-off add-on, ~8 % get one or two
// refunds (full or partial, with or without `payment_id`). About 0.5 % of workspaces also list a
// member of the previous account (an ambiguous user, docs/decisions.md, "Input") and about 1 % of payments come from
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

import { AsciiPiece, ByteBuilder, COMMA, NEWLINE, SEMICOLON, packWords } from './bytes';
import { Calendar, SECONDS_PER_DAY, intDiv } from './calendar';
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
const PLATFORM_TEXT: readonly AsciiPiece[] = [...INTEGRATION_PLATFORMS, ...ALWAYS_AVAILABLE_PLATFORMS].map((p) => new AsciiPiece(p));
const N_INTEGRATIONS = INTEGRATION_PLATFORMS.length;
const WEB = N_INTEGRATIONS;
const MOBILE = N_INTEGRATIONS + 1;

const CURRENCY_TEXT: readonly AsciiPiece[] = ['USD', 'EUR'].map((c) => new AsciiPiece(c));
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
const ACTION_TEXT: readonly AsciiPiece[] = ['connected', 'disconnected'].map((a) => new AsciiPiece(a));
/** The three accepted spellings of a call duration: `431.0 seconds`, `431 s`, `431`. */
const DURATION_SUFFIX: readonly AsciiPiece[] = ['.0 seconds', ' s', ''].map((x) => new AsciiPiece(x));
/** Events and usage rows are sorted as numbers `second * 1024 + payload` (exact below 2^53). */
const KEY_SHIFT = 1024;
/** Room reserved per line; the longest line (a refund: two ids, a user, an amount, a 20-byte timestamp) is < 110 bytes. */
const LINE_BYTES = 160;
/** User slots: 0 = owner, 1–4 = members, 5 = the stray (unmatched) payer. */
const STRAY = 5;
const USER_SLOT_BYTES = 32;
const USER_SLOT_WORDS = USER_SLOT_BYTES / 4;

export class AccountGenerator {
  readonly calendar: Calendar;
  private readonly rng = new Sfc32();
  private account = 0;
  private prevMemberCount = 0;
  private nextPaymentId = 1;
  private nextRefundId = 1;
  private nextEventId = 1;
  private nextCallId = 1;
  private nextSmsId = 1;

  /** User ids of the current account as packed words, one 32-byte slot per user (see STRAY). */
  private readonly userWords = new Uint32Array(6 * USER_SLOT_WORDS);
  private readonly userLen = new Int32Array(6);
  private readonly userScratch = new ByteBuilder(USER_SLOT_BYTES);
  private memberCount = 0;
  private readonly platformOrder = new Int8Array(N_INTEGRATIONS);

  // The current account's own payments (refund candidates).
  private payCount = 0;
  private readonly payIds: Float64Array;
  private readonly payTimes: Float64Array;
  private readonly payAmounts: Float64Array;
  private readonly payUsers: Int8Array;
  private currency = 0;

  // Integration events (sort keys) and the connection windows they open.
  private eventCount = 0;
  private readonly events = new Float64Array(64);
  private winCount = 0;
  private readonly winPlatform = new Int8Array(64);
  private readonly winStart = new Float64Array(64);
  private readonly winEnd = new Float64Array(64);

  private usage = new Float64Array(1024);

  private readonly out: AccountLines = {
    account: 0,
    data: {
      workspaces: new ByteBuilder(1024),
      payments: new ByteBuilder(4096),
      refunds: new ByteBuilder(1024),
      integrations: new ByteBuilder(4096),
      calls: new ByteBuilder(),
      sms: new ByteBuilder(),
    },
    rows: { workspaces: 0, payments: 0, refunds: 0, integrations: 0, calls: 0, sms: 0 },
    totalRows: 0,
  };

  constructor(private readonly config: GeneratorConfig) {
    this.calendar = new Calendar(config.startYear, config.startMonth, config.months);
    const cap = config.months + 2;
    this.payIds = new Float64Array(cap);
    this.payTimes = new Float64Array(cap);
    this.payAmounts = new Float64Array(cap);
    this.payUsers = new Int8Array(cap);
  }

  /**
   * Generates the next account (1, 2, 3, …). The returned object and its buffers are reused by the
   * next call: consume the bytes before calling again.
   */
  next(): AccountLines {
    const out = this.out;
    const account = ++this.account;
    out.account = account;
    for (const key of FILE_KEYS) {
      out.data[key].reset();
      out.rows[key] = 0;
    }
    this.rng.reseed(this.config.seed, account);

    this.workspace(account);
    const firstPay = this.payments(account);
    this.refunds();
    const activeEnd = this.integrations(firstPay);
    this.usageRows(firstPay, activeEnd);

    let total = 0;
    for (const key of FILE_KEYS) total += out.rows[key];
    out.totalRows = total;
    return out;
  }

  /** Stores the id `u{account}{suffix}{k}` (suffix/k optional) in a user slot. */
  private setUser(slot: number, account: number, suffix: number, k: number): void {
    const b = this.userScratch;
    b.reset();
    b.byte(0x75); // u
    b.uint(account);
    if (suffix !== 0) b.byte(suffix);
    if (k > 0) b.uint(k);
    packWords(b.buf, b.len, this.userWords, slot * USER_SLOT_WORDS);
    this.userLen[slot] = b.len;
  }

  private writeUser(b: ByteBuilder, slot: number): void {
    b.words(this.userWords, slot * USER_SLOT_WORDS, this.userLen[slot] as number);
  }

  private workspace(account: number): void {
    const rng = this.rng;
    const memberCount = rng.pick(MEMBER_COUNT_CDF);
    this.setUser(0, account, 0, 0);
    for (let k = 1; k <= memberCount; k++) this.setUser(k, account, 0x6d /* m */, k);
    this.memberCount = memberCount;

    const b = this.out.data.workspaces;
    b.reserve(LINE_BYTES + 6 * USER_SLOT_BYTES);
    b.byte(0x77); // w
    b.uint(account);
    b.byte(COMMA);
    this.writeUser(b, 0);
    b.byte(COMMA);
    for (let k = 1; k <= memberCount; k++) {
      if (k > 1) b.byte(SEMICOLON);
      this.writeUser(b, k);
    }
    if (this.prevMemberCount > 0 && rng.chance(P_AMBIGUOUS_MEMBER)) {
      // A member of the previous workspace is listed here too: ambiguous (docs/decisions.md, "Input").
      if (memberCount > 0) b.byte(SEMICOLON);
      b.byte(0x75); // u
      b.uint(account - 1);
      b.byte(0x6d); // m
      b.uint(1 + rng.int(this.prevMemberCount));
    }
    b.byte(NEWLINE);
    this.prevMemberCount = memberCount;
    this.out.rows.workspaces = 1;
  }

  /** Writes the account's payments (and a stray payer's); returns the first own payment's second or -1. */
  private payments(account: number): number {
    const rng = this.rng;
    const cal = this.calendar;
    const months = cal.months;
    this.payCount = 0;
    this.currency = rng.chance(P_EUR) ? EUR : 0;
    const prices = PLAN_PRICES[this.currency] as readonly number[];
    let firstPay = -1;

    if (!rng.chance(P_NEVER_PAYS)) {
      const startMonth = rng.chance(P_STARTS_AT_RANGE_START) ? 0 : rng.int(months);
      const lastMonth = rng.chance(P_CHURN) ? startMonth + rng.int(months - startMonth) : months - 1;
      const anchorDay = rng.between(1, 31);
      const timeOfDay = rng.int(SECONDS_PER_DAY);
      const prorated = rng.chance(P_PRORATED_FIRST_PAYMENT);
      let plan = rng.pick(PLAN_CDF);
      const upgradeMonth = rng.chance(P_UPGRADE) ? startMonth + 1 + rng.int(months) : -1;
      const payer = this.memberCount > 0 && rng.chance(P_MEMBER_PAYS) ? 1 + rng.int(this.memberCount) : 0;
      for (let m = startMonth; m <= lastMonth; m++) {
        if (m === upgradeMonth && plan < prices.length - 1) plan += 1 + rng.int(prices.length - 1 - plan);
        const dim = cal.daysInMonth[m] as number;
        const day = prorated && m > startMonth ? 1 : Math.min(anchorDay, dim);
        const t = (cal.monthStart[m] as number) + (day - 1) * SECONDS_PER_DAY + clampTimeOfDay(timeOfDay + rng.between(-300, 300));
        let amount = prices[plan] as number;
        if (prorated && m === startMonth) amount = intDiv(amount * (dim - day + 1), dim);
        this.ownPayment(payer, amount, t);
      }
      firstPay = this.payTimes[0] as number;
      if (rng.chance(P_ADDON)) {
        const t = firstPay + rng.int(cal.rangeSeconds - firstPay);
        this.ownPayment(payer, rng.between(500, 10_000) * 100, t); // 5.00 … 100.00
      }
    }

    if (rng.chance(P_STRAY_PAYER)) {
      this.setUser(STRAY, account, 0x78 /* x */, 0);
      const plan = rng.pick(PLAN_CDF);
      const timeOfDay = rng.int(SECONDS_PER_DAY);
      for (let m = rng.int(months); m < months; m++) {
        const t = (cal.monthStart[m] as number) + clampTimeOfDay(timeOfDay + rng.between(-300, 300));
        this.paymentLine(STRAY, prices[plan] as number, t);
      }
    }
    return firstPay;
  }

  private ownPayment(payer: number, amount: number, t: number): void {
    const i = this.payCount++;
    this.payIds[i] = this.nextPaymentId;
    this.payTimes[i] = t;
    this.payAmounts[i] = amount;
    this.payUsers[i] = payer;
    this.paymentLine(payer, amount, t);
  }

  private paymentLine(user: number, amount: number, t: number): void {
    const b = this.out.data.payments;
    b.reserve(LINE_BYTES);
    b.byte(0x70); // p
    b.uint(this.nextPaymentId++);
    b.byte(COMMA);
    this.writeUser(b, user);
    b.byte(COMMA);
    b.units(amount, this.rng.chance(0.5));
    b.byte(COMMA);
    b.piece(CURRENCY_TEXT[this.currency] as AsciiPiece);
    b.byte(COMMA);
    this.calendar.write(b, t);
    b.byte(NEWLINE);
    this.out.rows.payments++;
  }

  private refunds(): void {
    const rng = this.rng;
    const n = this.payCount;
    if (n === 0 || !rng.chance(P_REFUND)) return;
    const first = rng.int(n);
    this.refund(first);
    if (n > 1 && rng.chance(P_SECOND_REFUND)) this.refund((first + 1 + rng.int(n - 1)) % n);
  }

  private refund(i: number): void {
    const rng = this.rng;
    const end = this.calendar.rangeSeconds;
    const paid = this.payAmounts[i] as number;
    const paidAt = this.payTimes[i] as number;
    let amount: number;
    if (paid < 2 || rng.chance(P_FULL_REFUND)) {
      amount = paid;
    } else if (paid >= 200 && rng.chance(0.8)) {
      amount = 100 * (1 + rng.int(intDiv(paid - 1, 100))); // whole cents, < paid
    } else {
      amount = 1 + rng.int(paid - 1); // any 0.0001, < paid
    }
    // An hour to 20 days after the payment, never past the end of the range.
    const room = end - 1 - paidAt;
    const maxDelay = Math.min(20 * SECONDS_PER_DAY, room);
    const delay = maxDelay <= 3600 ? rng.int(maxDelay + 1) : 3600 + rng.int(maxDelay - 3600 + 1);

    const b = this.out.data.refunds;
    b.reserve(LINE_BYTES);
    b.byte(0x72); // r
    b.uint(this.nextRefundId++);
    b.byte(COMMA);
    this.writeUser(b, this.payUsers[i] as number);
    b.byte(COMMA);
    b.units(amount, rng.chance(0.5));
    b.byte(COMMA);
    b.piece(CURRENCY_TEXT[this.currency] as AsciiPiece);
    b.byte(COMMA);
    this.calendar.write(b, paidAt + delay);
    b.byte(COMMA);
    if (rng.chance(P_REFUND_NAMES_PAYMENT)) {
      b.byte(0x70); // p
      b.uint(this.payIds[i] as number);
    }
    b.byte(NEWLINE);
    this.out.rows.refunds++;
  }

  /** Writes integration events; returns the end of the account's active stretch (for usage). */
  private integrations(firstPay: number): number {
    const rng = this.rng;
    const end = this.calendar.rangeSeconds;
    const activeStart = firstPay >= 0 ? firstPay : 0;
    let activeEnd = end;
    if (firstPay >= 0) {
      // Activity fades out about two weeks after the last paid month ends.
      let last = 0;
      for (let i = 0; i < this.payCount; i++) last = Math.max(last, this.payTimes[i] as number);
      activeEnd = Math.min(end, last + 45 * SECONDS_PER_DAY);
    }
    this.eventCount = 0;
    this.winCount = 0;

    const order = this.platformOrder;
    for (let k = 0; k < N_INTEGRATIONS; k++) order[k] = k;
    const nPlatforms = rng.pick(PLATFORM_COUNT_CDF);
    for (let k = 0; k <= nPlatforms && k < N_INTEGRATIONS; k++) {
      const j = k + rng.int(N_INTEGRATIONS - k);
      const tmp = order[k] as number;
      order[k] = order[j] as number;
      order[j] = tmp;
    }
    const members = this.memberCount;
    for (let k = 0; k < nPlatforms; k++) {
      const platform = order[k] as number;
      const user = members > 0 && rng.chance(0.35) ? 1 + rng.int(members) : 0;
      this.connectionHistory(platform, user, activeStart, activeEnd, firstPay >= 0);
      if (members > 0 && rng.chance(P_SECOND_USER_CONNECTS)) {
        this.connectionHistory(platform, user === 0 ? 1 + rng.int(members) : 0, activeStart, activeEnd, firstPay >= 0);
      }
    }
    if (rng.chance(P_ORPHAN_DISCONNECT)) {
      // A platform nobody in the account ever connected: the disconnect has no window to close.
      this.addEvent(rng.int(end), order[nPlatforms] as number, 0, DISCONNECTED);
    }

    const events = this.events;
    const n = this.eventCount;
    events.subarray(0, n).sort();
    const b = this.out.data.integrations;
    b.reserve(n * LINE_BYTES);
    for (let k = 0; k < n; k++) {
      const key = events[k] as number;
      const t = Math.floor(key / KEY_SHIFT);
      const payload = key - t * KEY_SHIFT;
      b.byte(0x69); // i
      b.uint(this.nextEventId++);
      b.byte(COMMA);
      this.writeUser(b, (payload >> 1) & 31);
      b.byte(COMMA);
      b.piece(PLATFORM_TEXT[payload >> 6] as AsciiPiece);
      b.byte(COMMA);
      b.piece(ACTION_TEXT[payload & 1] as AsciiPiece);
      b.byte(COMMA);
      this.calendar.write(b, t);
      b.byte(NEWLINE);
    }
    this.out.rows.integrations = n;
    return activeEnd;
  }

  /** connect → (disconnect → reconnect?)* for one (user, platform); records the windows. */
  private connectionHistory(platform: number, user: number, activeStart: number, activeEnd: number, pays: boolean): void {
    const rng = this.rng;
    const end = this.calendar.rangeSeconds;
    let t: number;
    if (pays && rng.chance(P_CONNECT_BEFORE_FIRST_PAYMENT)) {
      const lo = Math.max(0, activeStart - 45 * SECONDS_PER_DAY);
      t = lo + rng.int(activeStart - lo);
    } else {
      const u = rng.float();
      t = activeStart + Math.floor(u * u * (activeEnd - activeStart)); // most connect early
    }
    this.addEvent(t, platform, user, CONNECTED);
    let open = true;
    for (let round = 0; round < 3; round++) {
      if (!rng.chance(round === 0 ? 0.35 : 0.3)) break;
      // 1 % disconnect in the same second (an empty window), the rest any time later.
      const off = t >= end - 1 || rng.chance(0.01) ? t : t + 1 + rng.int(end - t - 1);
      this.addEvent(off, platform, user, DISCONNECTED);
      this.addWindow(platform, t, off);
      open = false;
      if (off >= end - 1 || !rng.chance(0.4)) break;
      t = off + 1 + rng.int(end - off - 1);
      this.addEvent(t, platform, user, CONNECTED);
      open = true;
    }
    if (open) this.addWindow(platform, t, end);
  }

  private addEvent(t: number, platform: number, user: number, action: number): void {
    this.events[this.eventCount++] = t * KEY_SHIFT + platform * 64 + user * 2 + action;
  }

  private addWindow(platform: number, start: number, end: number): void {
    const w = this.winCount++;
    this.winPlatform[w] = platform;
    this.winStart[w] = start;
    this.winEnd[w] = end;
  }

  private usageRows(firstPay: number, activeEnd: number): void {
    const rng = this.rng;
    const cal = this.calendar;
    const k = this.config.usagePerAccount;
    let n = 0;
    if (k > 0 && !rng.chance(P_NO_USAGE)) n = intDiv(k * rng.between(250, 1750), 1000); // mean ≈ k
    if (n === 0) return;
    // Usage spans from a month before the first payment to three weeks after activity fades.
    const lo = firstPay >= 0 ? Math.max(0, firstPay - 30 * SECONDS_PER_DAY) : 0;
    const hi = Math.min(cal.rangeSeconds, activeEnd + 21 * SECONDS_PER_DAY);
    if (this.usage.length < n) this.usage = new Float64Array(Math.max(n, this.usage.length * 2));
    const keys = this.usage;
    const members = this.memberCount;
    const wins = this.winCount;
    for (let i = 0; i < n; i++) {
      const user = members > 0 && rng.chance(0.5) ? 1 + rng.int(members) : 0;
      const r = rng.float();
      let platform: number;
      let t: number;
      if (wins > 0 && r < 0.55) {
        const w = rng.int(wins);
        platform = this.winPlatform[w] as number;
        const ws = this.winStart[w] as number;
        const we = this.winEnd[w] as number;
        t = we > ws && rng.chance(0.9) ? ws + rng.int(we - ws) : lo + rng.int(hi - lo);
      } else if (r >= 0.97) {
        platform = rng.int(N_INTEGRATIONS); // often a platform the account never connected
        t = lo + rng.int(hi - lo);
      } else {
        platform = rng.chance(0.65) ? WEB : MOBILE;
        t = lo + rng.int(hi - lo);
      }
      keys[i] = t * KEY_SHIFT + platform * 64 + user * 2 + (rng.chance(P_SMS) ? 1 : 0);
    }
    keys.subarray(0, n).sort();

    const calls = this.out.data.calls;
    const sms = this.out.data.sms;
    let nCalls = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i] as number;
      const t = Math.floor(key / KEY_SHIFT);
      const payload = key - t * KEY_SHIFT;
      const isSms = (payload & 1) === 1;
      const b = isSms ? sms : calls;
      b.reserve(LINE_BYTES);
      if (isSms) {
        b.byte(0x73); // s
        b.uint(this.nextSmsId++);
      } else {
        b.byte(0x63); // c
        b.uint(this.nextCallId++);
        nCalls++;
      }
      b.byte(COMMA);
      this.writeUser(b, (payload >> 1) & 31);
      b.byte(COMMA);
      b.piece(PLATFORM_TEXT[payload >> 6] as AsciiPiece);
      b.byte(COMMA);
      cal.write(b, t);
      b.byte(COMMA);
      if (isSms) {
        b.uint(rng.pick(SEGMENTS_CDF));
      } else {
        b.uint(this.callSeconds());
        b.piece(DURATION_SUFFIX[rng.int(3)] as AsciiPiece);
      }
      b.byte(NEWLINE);
    }
    this.out.rows.calls = nCalls;
    this.out.rows.sms = n - nCalls;
  }

  /** A call duration in whole seconds. */
  private callSeconds(): number {
    const rng = this.rng;
    const r = rng.float();
    if (r < 0.08) return rng.int(10); // missed / dropped
    if (r < 0.92) {
      const u = rng.float();
      return 10 + Math.floor(u * u * 890);
    }
    return 900 + rng.int(4501); // long calls, up to 1.5 h
  }
}

function clampTimeOfDay(s: number): number {
  return s < 0 ? 0 : s >= SECONDS_PER_DAY ? SECONDS_PER_DAY - 1 : s;
}
