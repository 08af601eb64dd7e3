// buildContextShard: builds the contexts (docs/decisions.md, "Contexts") of the accounts of one shard, as of the run's
// cutoff, and stores them. Idempotent: a shard whose marker row exists is done; the contexts and
// the marker commit together. Rows are read per shard, so memory is bounded by the shard size.
// An account whose context at the run's period start is stored (and still holds) is continued from
// it with the rows from there on; every other account is built from all its rows
// (docs/decisions.md, "Contexts": incremental months). Both give the same context.
import type pg from 'pg';
import type { Decimal } from 'decimal.js';
import {
  buildAccountTimelineWithCarry, contextParamsFromRuleset, usageCountingWindows, usageUnitsOfTotals,
  type AccountContext, type AccountTimeline, type ContextParams, type OpenConnection,
} from '../../domain/context';
import { continueAccountTimeline, continuedUsage, type CarriedContext } from '../../domain/contextCarry';
import { ExactDecimal } from '../../domain/exactDecimal';
import {
  assignShards, builtShardAccounts, readContinuableContexts, readShardMembers, readTimelineRows, sumUsageInWindows, writeContextShard,
  type ShardAccountInput, type ShardMembers, type UserPlatformTotal, type UserWindows,
} from '../../store/contexts';
import { pacer } from '../heartbeat';
import { carrySourceFor, type CarrySource } from './contextCarrySource';
import { carriedFromRow, CONTEXT_COPY_COLUMNS, contextCopyLine, type AccountContextRow } from './contextRows';
import { loadRun, type RunRecord } from '../../store/runs';

export type { ShardAccountInput, ShardMembers } from '../../store/contexts';

export interface ContextShardInput {
  runId: string;
  shard: number;
}

export interface ContextShardResult {
  shard: number;
  accounts: number;
  /** Of them, the accounts continued from the contexts stored at the period start. */
  continued?: number;
}

type Progress = (accountsDone: number) => void;

/** A built context and the connections open at its cutoff, for a later run to continue from. */
interface Built {
  context: AccountContext;
  openConnections: OpenConnection[];
}

export async function buildContextShard(pool: pg.Pool, input: ContextShardInput, progress: Progress): Promise<ContextShardResult> {
  const run = await loadRun(pool, input.runId);
  const done = await builtShardAccounts(pool, run.contextId, run.shardCount, input.shard);
  if (done !== null) return { shard: input.shard, accounts: done };
  // A run prepared before shard membership was stored (a run in flight across the upgrade).
  await assignShards(pool, run.contextId, run.shardCount);

  const members = await readShardMembers(pool, run.contextId, run.shardCount, input.shard);
  const params = contextParamsFromRuleset(run.ruleset);
  const source = await carrySourceFor(pool, run);
  const carried = source ? await continuableContexts(pool, source, members) : new Map<string, CarriedContext>();
  const full = [...members.usersOf.keys()].filter((accountId) => !carried.has(accountId));
  progress(0);
  // The two groups share nothing: their reads and usage sums overlap.
  const built = (await Promise.all([
    buildFully(pool, run, subset(members, full), params),
    source ? buildContinued(pool, run, source, subset(members, [...carried.keys()]), carried, params) : [],
  ])).flat();
  const lines = built.map((b) => contextCopyLine(run.contextId, input.shard, b.context, {
    memberUsers: members.usersOf.get(b.context.accountId) ?? [], openConnections: b.openConnections,
  }));
  await writeContextShard(pool, { contextId: run.contextId, shardCount: run.shardCount, shard: input.shard }, CONTEXT_COPY_COLUMNS, lines);
  progress(lines.length);
  return { shard: input.shard, accounts: lines.length, continued: built.filter((b) => carried.has(b.context.accountId)).length };
}

/** Only the accounts with a transaction in the period get a context: no book decides anything for the others. */
function hasTransactionInPeriod(run: RunRecord, account: Pick<ShardAccountInput, 'payments' | 'refunds'>): boolean {
  const inPeriod = (row: { at: number }) => (run.periodFrom === null || row.at >= run.periodFrom) && row.at < run.periodTo;
  return account.payments.some(inPeriod) || account.refunds.some(inPeriod);
}

/** Contexts from every row of the accounts' users before the cutoff. */
async function buildFully(pool: pg.Pool, run: RunRecord, members: ShardMembers, params: ContextParams): Promise<Built[]> {
  const inputs = await readTimelineRows(pool, members.userIds, members.accountOf, { from: null, asOf: new Date(run.asOf) });
  const timelines: Array<{ timeline: AccountTimeline; openConnections: OpenConnection[] }> = [];
  const pace = pacer(); // building a thousand timelines is CPU: let heartbeats out
  for (const account of inputs.values()) {
    await pace();
    if (hasTransactionInPeriod(run, account)) timelines.push(buildAccountTimelineWithCarry(account, run.asOf, params));
  }
  const usage = await countedUsage(pool, members, timelines.map((t) => t.timeline), params, null);
  return timelines.map(({ timeline, openConnections }) => ({
    context: { ...timeline, usageUnitsByPlatform: usage.get(timeline.accountId) ?? new Map() }, openConnections,
  }));
}

/** Contexts continued from the stored ones at the period start, with the rows from there on only. */
async function buildContinued(
  pool: pg.Pool, run: RunRecord, source: CarrySource, members: ShardMembers, carried: ReadonlyMap<string, CarriedContext>, params: ContextParams,
): Promise<Built[]> {
  const tails = await readTimelineRows(pool, members.userIds, members.accountOf, { from: new Date(source.cutoff), asOf: new Date(run.asOf) });
  const continued: Array<{ timeline: AccountTimeline; openConnections: OpenConnection[]; previous: CarriedContext }> = [];
  const pace = pacer();
  for (const [accountId, previous] of carried) {
    await pace();
    const tail = tails.get(accountId) ?? { accountId, payments: [], refunds: [], integrationEvents: [] };
    if (hasTransactionInPeriod(run, tail)) continued.push({ ...continueAccountTimeline(previous, tail, run.asOf, params), previous });
  }
  const usage = await countedUsage(pool, members, continued.map((c) => c.timeline), params, source.cutoff);
  return continued.map(({ timeline, openConnections, previous }) => ({
    context: { ...timeline, usageUnitsByPlatform: continuedUsage(previous.context.usageUnitsByPlatform, usage.get(timeline.accountId) ?? new Map()) },
    openConnections,
  }));
}

/**
 * The stored contexts of the shard's accounts at the source's cutoff that can be continued: stored
 * with what continuing needs, for the same users as now (membership is checked per account too,
 * so that a changed workspace can never slip through as an unchanged account).
 */
async function continuableContexts(pool: pg.Pool, source: CarrySource, members: ShardMembers): Promise<Map<string, CarriedContext>> {
  const rows = await readContinuableContexts<AccountContextRow>(pool, source.contextId, [...members.usersOf.keys()]);
  const carried = new Map<string, CarriedContext>();
  for (const row of rows) {
    const stored = carriedFromRow(row, source.cutoff);
    const users = members.usersOf.get(row.account_id) ?? [];
    if (stored && sameList(stored.memberUsers, users)) carried.set(row.account_id, stored.carried);
  }
  return carried;
}

const sameList = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.length === b.length && a.every((x, i) => x === b[i]);

function subset(members: ShardMembers, accountIds: ReadonlyArray<string>): ShardMembers {
  const usersOf = new Map(accountIds.map((id) => [id, members.usersOf.get(id) ?? []]));
  const userIds = [...usersOf.values()].flat();
  return { userIds, accountOf: new Map(userIds.map((u) => [u, members.accountOf.get(u)!])), usersOf };
}

/**
 * Each account's counted usage (docs/decisions.md, "Contexts") inside its timeline's counting
 * windows, from `countFrom` on when given. The usage rows never reach Node: the counting windows go
 * to Postgres, which sums the calls' seconds and the SMS segments that fall inside them per user
 * and platform, exactly (NUMERIC); the users' sums are added up per account here, exactly
 * (ExactDecimal). Reading ~150 rows per account into JS objects was most of the time of building
 * contexts. The domain compares instants truncated to the millisecond; as the window bounds are
 * whole milliseconds, comparing the exact instant gives the same answer.
 */
async function countedUsage(
  pool: pg.Pool, members: ShardMembers, timelines: ReadonlyArray<AccountTimeline>, params: ContextParams, countFrom: number | null,
): Promise<Map<string, Map<string, Decimal>>> {
  const windows: UserWindows = { user: [], platform: [], start: [], end: [] };
  for (const timeline of timelines) {
    for (const [platform, list] of usageCountingWindows(timeline, params, countFrom)) {
      for (const w of list) {
        for (const userId of members.usersOf.get(timeline.accountId) ?? []) {
          windows.user.push(userId);
          windows.platform.push(platform);
          windows.start.push(new Date(w.startAt).toISOString());
          windows.end.push(new Date(w.endAt).toISOString());
        }
      }
    }
  }
  const sums = await sumUsageInWindows(pool, members.userIds, windows, countFrom === null ? null : new Date(countFrom));
  const callSeconds = totalsByAccount(members, sums.calls);
  const smsSegments = totalsByAccount(members, sums.sms);
  const none = new Map<string, Decimal>();
  return new Map(timelines.map((t) => [t.accountId, usageUnitsOfTotals(callSeconds.get(t.accountId) ?? none, smsSegments.get(t.accountId) ?? none, params)]));
}

/** account → platform → the exact sum of its users' totals */
function totalsByAccount(members: ShardMembers, rows: ReadonlyArray<UserPlatformTotal>): Map<string, Map<string, Decimal>> {
  const byAccount = new Map<string, Map<string, Decimal>>();
  for (const r of rows) {
    const accountId = members.accountOf.get(r.user_id)!;
    let totals = byAccount.get(accountId);
    if (!totals) byAccount.set(accountId, (totals = new Map()));
    totals.set(r.platform, (totals.get(r.platform) ?? new ExactDecimal(0)).plus(r.total));
  }
  return byAccount;
}

/** The rows before the cutoff that shape each account's timeline (for callers outside the run: sensitivity). */
export function readShardInputs(pool: pg.Pool, members: ShardMembers, asOf: Date): Promise<Map<string, ShardAccountInput>> {
  return readTimelineRows(pool, members.userIds, members.accountOf, { from: null, asOf });
}

/** Adds each account's counted usage to its timeline (for callers outside the run: sensitivity). */
export async function withCountedUsage(pool: pg.Pool, members: ShardMembers, timelines: ReadonlyArray<AccountTimeline>, params: ContextParams): Promise<AccountContext[]> {
  const usage = await countedUsage(pool, members, timelines, params, null);
  return timelines.map((t) => ({ ...t, usageUnitsByPlatform: usage.get(t.accountId) ?? new Map() }));
}
