// The event-shape generator (docs/decisions.md, "Events"): a deterministic NDJSON stream of multi-product billing
// events for N customers over M months, plus the multi-product example's ruleset and bundles so
// that the output directory can be ingested and run as it is:
//
//   npm run generate -- --shape events --accounts 10000 --seed 1 --out /tmp/events10k
//   npx attribution ingest-events /tmp/events10k
//   npx attribution run --ruleset /tmp/events10k/ruleset.yaml --as-of 2025-01-01
//
// Each customer pays one invoice a month (products from a small catalogue, some of them bundles,
// some with a bundleId), carries 0–3 touchpoints of the seed's interaction types, and now and
// then is partly refunded (`refundOf` the month's invoice). Amounts are whole cents computed in
// integers, so grossAmount is exactly Σ quantity × unitPrice. Streams with bounded buffers.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { PROJECT_ROOT } from '../../common/config';
import { Sfc32 } from './prng';

export interface EventGeneratorOptions {
  accounts: number;
  seed: number;
  months: number;
  startYear: number;
  startMonth: number;
  outDir: string;
}

export interface EventGeneratorSummary {
  outDir: string;
  events: number;
  bytes: number;
  elapsedMs: number;
}

/** Product id and unit price in cents; bundles are defined in examples/multi-product/bundles.yaml. */
const CATALOGUE: ReadonlyArray<readonly [string, number]> = [
  ['crm', 4900], ['calls', 2], ['sms', 1], ['analytics', 1900], ['voice-suite', 2900],
];
const INTERACTIONS = ['view', 'click', 'usage_spike', 'support', 'trial'] as const;
const EXAMPLE_DIR = path.join(PROJECT_ROOT, 'examples', 'multi-product');

/** Whole-second UTC instants in the canonical form the loaders read fastest. */
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

export async function generateEvents(options: EventGeneratorOptions): Promise<EventGeneratorSummary> {
  const started = Date.now();
  fs.mkdirSync(options.outDir, { recursive: true });
  for (const file of ['ruleset.yaml', 'bundles.yaml']) fs.copyFileSync(path.join(EXAMPLE_DIR, file), path.join(options.outDir, file));
  const target = path.join(options.outDir, 'events.ndjson');
  const out = fs.createWriteStream(`${target}.partial`);
  const rng = new Sfc32(options.seed, 0);
  let events = 0;
  let bytes = 0;
  let buffer: string[] = [];
  const flush = async () => {
    const text = buffer.join('');
    buffer = [];
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  const emit = (event: object) => {
    buffer.push(`${JSON.stringify(event)}\n`);
    events += 1;
  };

  for (let account = 0; account < options.accounts; account++) {
    rng.reseed(options.seed, account);
    const customerId = `cust-${String(account).padStart(7, '0')}`;
    const firstMonth = rng.int(Math.max(1, Math.ceil(options.months / 2)));
    const enterprise = rng.chance(0.1);
    for (let m = firstMonth; m < options.months; m++) {
      const monthStart = Date.UTC(options.startYear, options.startMonth - 1 + m, 1);
      const at = monthStart + rng.int(27 * 86_400) * 1000;
      const products = pickProducts(rng);
      const total = products.reduce((sum, p) => sum + p.quantity * p.unitCents, 0);
      const transactionId = `ev-${account}-${m}`;
      emit({
        transactionId,
        timestamp: iso(at),
        customerId,
        grossAmount: cents(total),
        currency: 'USD',
        products: products.map((p) => ({ productId: p.productId, quantity: p.quantity, unitPrice: cents(p.unitCents) })),
        touchpoints: Array.from({ length: rng.int(4) }, () => ({
          productId: CATALOGUE[rng.int(CATALOGUE.length)]![0],
          interactionType: INTERACTIONS[rng.int(INTERACTIONS.length)]!,
          timestamp: iso(at - (1 + rng.int(20 * 86_400)) * 1000),
        })),
        ...(enterprise ? { bundleId: 'ent-bundle-v2' } : {}),
        source: rng.chance(0.2) ? 'usage_meter' : 'invoice',
      });
      if (rng.chance(0.05)) {
        emit({
          transactionId: `rf-${account}-${m}`,
          timestamp: iso(at + (1 + rng.int(3 * 86_400)) * 1000),
          customerId,
          grossAmount: cents(Math.max(1, Math.floor(total * (1 + rng.int(100)) / 100))),
          currency: 'USD',
          products: [],
          source: 'refund',
          refundOf: transactionId,
        });
      }
    }
    if (buffer.length >= 2000) await flush();
  }
  await flush();
  out.end();
  await once(out, 'finish');
  fs.renameSync(`${target}.partial`, target);
  return { outDir: options.outDir, events, bytes, elapsedMs: Date.now() - started };
}

function pickProducts(rng: Sfc32): Array<{ productId: string; quantity: number; unitCents: number }> {
  const count = 1 + rng.int(3);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(CATALOGUE.length));
  return [...chosen].sort((a, b) => a - b).map((i) => {
    const [productId, unitCents] = CATALOGUE[i]!;
    // Metered products are bought by the hundred; seats and suites by ones.
    const quantity = unitCents < 10 ? 100 * (1 + rng.int(50)) : 1 + rng.int(5);
    return { productId, quantity, unitCents };
  });
}
