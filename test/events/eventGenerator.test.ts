// The event-shape generator: deterministic, and every event it writes passes the loader's schema
// with grossAmount exactly Σ quantity × unitPrice (refunds: at most the invoice they name).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Decimal } from 'decimal.js';
import { parseEventLine, type CanonicalEvent } from '../../ingest/eventSchema';
import { generateEvents } from '../../scripts/generator/events';

async function generate(seed: number): Promise<string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'events-gen-'));
  await generateEvents({ accounts: 300, seed, months: 6, startYear: 2024, startMonth: 1, outDir });
  return outDir;
}

describe('event generator', () => {
  it('same seed, same bytes; another seed, other bytes; ruleset and bundles alongside', async () => {
    const [a, b, c] = await Promise.all([generate(7), generate(7), generate(8)]);
    const read = (dir: string) => fs.readFileSync(path.join(dir, 'events.ndjson'), 'utf8');
    assert.equal(read(a), read(b));
    assert.notEqual(read(a), read(c));
    assert.ok(fs.existsSync(path.join(a, 'ruleset.yaml')) && fs.existsSync(path.join(a, 'bundles.yaml')));
  });

  it('every event is valid; invoices sum their products exactly; refunds name an earlier invoice of the same customer', async () => {
    const dir = await generate(3);
    const events = fs.readFileSync(path.join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((line, i) => {
      const parsed = parseEventLine(line);
      assert.ok(parsed.ok, `line ${i + 1}: ${JSON.stringify(parsed.ok ? null : parsed.problems)}`);
      return parsed.event;
    });
    const byId = new Map<string, CanonicalEvent>(events.map((e) => [e.transactionId, e]));
    assert.equal(byId.size, events.length, 'transaction ids are unique');
    let refunds = 0;
    for (const e of events) {
      if (e.kind === 'payment') {
        const sum = e.products.reduce((s, p) => s.plus(new Decimal(p.quantity).times(p.unitPrice)), new Decimal(0));
        assert.equal(sum.toFixed(4), e.grossAmount, e.transactionId);
      } else {
        refunds += 1;
        const original = byId.get(e.refundOf!);
        assert.ok(original && original.customerId === e.customerId && original.timestamp < e.timestamp);
        assert.ok(new Decimal(e.grossAmount).lte(original.grossAmount));
      }
    }
    assert.ok(refunds > 0 && refunds < events.length / 10, `some refunds (${refunds})`);
  });
});
