#!/usr/bin/env python3
"""Cross-check of the data-driven books (docs/data-driven-books.md). Not part of `npm test`.

Rebuilds every journey of a generated CSV dataset straight from its files (membership, active
periods, touches, conversion), then recomputes, independently of the engine:
  - Markov removal effects: exactly with fractions (Gaussian elimination written here) and with
    the published library marketing-attribution-models (module `mam`, numpy floats);
  - Shapley values of every observed coalition: exactly with fractions, by the textbook sum over
    subsets (the engine regroups the sum), and with the library's per-journey routine;
  - time-decay ledger lines of every attributed payment: Python's decimal, power correctly
    rounded to 40 digits, and the same exact allocation, compared line by line.
and compares them with what scripts/crosscheck/engine.ts wrote.

  python3 scripts/crosscheck/crosscheck.py DATA_DIR ENGINE_OUT_DIR AS_OF   (AS_OF like 2025-01-01)
Set PYTHONPATH to where `pip install --target` put marketing-attribution-models, if not installed.
"""
import csv
import itertools
import json
import math
import sys
from collections import defaultdict
from datetime import datetime, timezone, timedelta
from decimal import Decimal, Context, ROUND_HALF_EVEN
from fractions import Fraction

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DAY_MS = 86_400_000
MAX_CHANNELS = 12
HALF_LIFE_DAYS = 7


def ms(text):
    dt = datetime.fromisoformat(text.replace(' ', 'T'))
    return (dt - EPOCH) // timedelta(milliseconds=1)


def rows(data, name):
    with open(f'{data}/{name}', newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


def units(amount):
    return int((Decimal(amount) * 10000).to_integral_exact())


def load(data, as_of):
    owners = defaultdict(set)
    is_owner = set()
    for w in rows(data, 'workspaces.csv'):
        is_owner.add(w['owner_id'])
        owners[w['owner_id']].add(w['owner_id'])
        for m in filter(None, (w['member_ids'] or '').split(';')):
            owners[m].add(w['owner_id'])
    account_of = {}
    for user, os_ in owners.items():
        if user in is_owner:
            account_of[user] = user
        elif len(os_) == 1:
            account_of[user] = next(iter(os_))
    accounts = set(account_of.values())
    pays = defaultdict(list)
    refs = defaultdict(list)
    for p in rows(data, 'payments.csv'):
        t = ms(p['paid_at'])
        if t < as_of and p['user_id'] in account_of:
            pays[account_of[p['user_id']]].append((t, p['payment_id'], units(p['amount']), p['currency'] or 'USD'))
    for r in rows(data, 'refunds.csv'):
        t = ms(r['refunded_at'])
        if t < as_of and r['user_id'] in account_of:
            refs[account_of[r['user_id']]].append((t, units(r['amount']), r['currency'] or 'USD'))
    touches = defaultdict(set)
    for e in rows(data, 'integrations.csv'):
        t = ms(e['occurred_at'])
        if e['action'] == 'connected' and t < as_of and e['user_id'] in account_of:
            touches[account_of[e['user_id']]].add((t, e['platform'].strip().lower(), e['user_id']))
    journeys = {}
    for a in accounts:
        first_pay = min((p[0] for p in pays[a]), default=None)
        first_ref = min((r[0] for r in refs[a]), default=None)
        active_end = first_ref if first_ref is not None else as_of
        ts = sorted(touches[a])
        if first_pay is not None:
            ts = [x for x in ts if first_pay <= x[0] < active_end]
        net = defaultdict(int)
        for p in pays[a]:
            net[p[3]] += p[2]
        for r in refs[a]:
            net[r[2]] -= r[1]
        attributed = [p for p in pays[a] if net[p[3]] > 0]
        journeys[a] = {'touches': ts, 'converted': len(attributed) > 0, 'payments': attributed}
    return journeys


def collapse(path):
    return [c for i, c in enumerate(path) if i == 0 or path[i - 1] != c]


# ---------- Markov, exact ----------
def markov_exact(journeys):
    counts = defaultdict(lambda: defaultdict(int))
    through = defaultdict(int)
    for j in journeys.values():
        path = collapse([t[1] for t in j['touches']])
        if not path:
            continue
        for c in set(path):
            through[c] += 1 if j['converted'] else 0
        for a, b in zip(['(start)'] + path, path + ['(conversion)' if j['converted'] else '(null)']):
            counts[a][b] += 1
    channels = sorted({c for j in journeys.values() for c in (t[1] for t in j['touches'])})

    def p_conv(removed):
        states = ['(start)'] + [c for c in channels if c != removed and c in counts]
        idx = {s: i for i, s in enumerate(states)}
        n = len(states)
        m = [[Fraction(0)] * (n + 1) for _ in range(n)]
        for s in states:
            total = sum(counts[s].values())
            m[idx[s]][idx[s]] += total
            for t, k in counts[s].items():
                if t == '(conversion)':
                    m[idx[s]][n] += k
                elif t in idx:
                    m[idx[s]][idx[t]] -= k
        for col in range(n):  # Gauss-Jordan
            piv = next(r for r in range(col, n) if m[r][col] != 0)
            m[col], m[piv] = m[piv], m[col]
            p = m[col][col]
            m[col] = [x / p for x in m[col]]
            for r in range(n):
                if r != col and m[r][col] != 0:
                    f = m[r][col]
                    m[r] = [x - f * y for x, y in zip(m[r], m[col])]
        return m[0][n]

    base = p_conv(None)
    effects = {c: (Fraction(0) if base == 0 or through[c] == 0 else 1 - p_conv(c) / base) for c in channels}
    return base, effects, through


def markov_library(journeys):
    import polars as pl
    from mam.models.markov import MarkovModel
    paths = [[t[1] for t in j['touches']] for j in journeys.values() if j['touches']]
    conv = [j['converted'] for j in journeys.values() if j['touches']]
    df = pl.DataFrame({'channels': paths, 'has_conversion': conv, 'weight': [1] * len(paths)})
    model = MarkovModel(transition_to_same_state=False)
    model._compute_markov(df)
    return {c: float(v) for c, v in model.removal_effect_df['removal_effect'].items()}


# ---------- Shapley, exact ----------
def coalition_of(j):
    return tuple(dict.fromkeys(t[1] for t in j['touches']))[:MAX_CHANNELS]


def shapley_exact(journeys):
    jn = defaultdict(int)
    cv = defaultdict(int)
    for j in journeys.values():
        c = coalition_of(j)
        if c:
            key = tuple(sorted(c))
            jn[key] += 1
            cv[key] += 1 if j['converted'] else 0
    v = {k: Fraction(cv[k], jn[k]) for k in jn}
    out = {}
    for s in v:
        n = len(s)
        for c in s:
            others = [x for x in s if x != c]
            phi = Fraction(0)
            for size in range(len(others) + 1):
                w = Fraction(math.factorial(size) * math.factorial(n - size - 1), math.factorial(n))
                for t in itertools.combinations(others, size):
                    with_c = tuple(sorted(t + (c,)))
                    phi += w * (v.get(with_c, Fraction(0)) - v.get(tuple(sorted(t)), Fraction(0)))
            out[(s, c)] = phi
    return v, out


def shapley_library(v):
    from mam.models.shapley import ShapleyModel
    model = ShapleyModel(max_size=MAX_CHANNELS)
    conv_dict = {' > '.join(k): float(x) for k, x in v.items() if x > 0}
    out = {}
    for k in v:
        for c, val in zip(k, model._calculate_shapley_for_journey(list(k), conv_dict, False)):
            out[(k, c)] = float(val)
    return out


# ---------- time decay ----------
DECAY = Context(prec=40, rounding=ROUND_HALF_EVEN)
WIDE = Context(prec=120, rounding=ROUND_HALF_EVEN)
EXACT = Context(prec=1000, rounding=ROUND_HALF_EVEN)


def decay(delta_ms):
    # The exponent to 120 digits, the power correctly rounded to 40: the engine's definition
    # (2^(-|Δ|/h) of the exact exponent, rounded once to 40 significant digits).
    x = WIDE.divide(Decimal(abs(delta_ms)), WIDE.multiply(Decimal(HALF_LIFE_DAYS), Decimal(DAY_MS)))
    return DECAY.power(Decimal(2), WIDE.minus(x))


def allocate(amount, weights):
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    shares = {c: Fraction(amount) * Fraction(w) / total for c, w in weights.items()}
    lines = {c: math.floor(s) for c, s in shares.items()}
    left = amount - sum(lines.values())
    for c in sorted(shares, key=lambda c: (-(shares[c] - lines[c]), c))[:left]:
        lines[c] += 1
    return {c: u for c, u in lines.items() if u != 0}


def time_decay_lines(journeys):
    out = {}
    for j in journeys.values():
        for (t, pid, amount, _cur) in j['payments']:
            weights = {}
            for (tt, ch, _u) in j['touches']:
                weights[ch] = EXACT.add(weights.get(ch, Decimal(0)), decay(t - tt))
            if not weights:
                weights = {'(no integration)': Decimal(1)}
            for c, u in allocate(amount, weights).items():
                out[(pid, c)] = u
    return out


def fmt_units(u):
    sign = '-' if u < 0 else ''
    u = abs(u)
    return f'{sign}{u // 10000}.{u % 10000:04d}'


def main():
    data, engine, as_of_text = sys.argv[1], sys.argv[2], sys.argv[3]
    as_of = ms(as_of_text + ('T00:00:00+00:00' if len(as_of_text) == 10 else ''))
    journeys = load(data, as_of)
    report = {}
    ok = True

    learned = open(f'{engine}/engine_learned.tsv').read().split('\n')[0].split('\t')
    with_channels = [j for j in journeys.values() if j['touches']]
    report['journeys'] = {'python': [len(journeys), sum(j['converted'] for j in journeys.values()), len(journeys) - len(with_channels)],
                          'engine': [int(x) for x in learned[:3]]}
    ok &= report['journeys']['python'] == report['journeys']['engine']

    base, effects, through = markov_exact(journeys)
    engine_re = dict(line.split('\t') for line in open(f'{engine}/engine_removal_effects_exact.tsv').read().split('\n') if line)
    exact_mismatch = [c for c in effects if str(effects[c]) != engine_re.get(c)]
    report['markov'] = {'channels': len(effects), 'conversion_probability': [str(base), learned[3]],
                        'exact_mismatches': exact_mismatch, 'removal_effects': {c: float(e) for c, e in effects.items()}}
    ok &= not exact_mismatch and str(base) == learned[3] and set(effects) == set(engine_re)
    try:
        lib = markov_library(journeys)
        diffs = {c: abs(lib.get(c, 0.0) - float(Fraction(engine_re[c]))) for c in engine_re if through[c] > 0}
        report['markov']['library_max_abs_diff'] = max(diffs.values(), default=0.0)
        report['markov']['library_channels_without_conversions'] = {c: lib.get(c) for c in engine_re if through[c] == 0}
        ok &= report['markov']['library_max_abs_diff'] < 1e-9
    except ImportError as e:
        report['markov']['library'] = f'not available: {e}'

    v, phi = shapley_exact(journeys)
    engine_phi = {}
    for line in open(f'{engine}/engine_shapley_exact.tsv').read().split('\n'):
        if line:
            k, c, x = line.split('\t')
            engine_phi[(tuple(json.loads(k)), c)] = x
    mism = [k for k in phi if str(phi[k]) != engine_phi.get(k)]
    report['shapley'] = {'coalitions': len(v), 'values': len(phi), 'exact_mismatches': len(mism), 'examples': [str(k) for k in mism[:5]]}
    ok &= not mism and set(phi) == set(engine_phi)
    try:
        lib = shapley_library(v)
        report['shapley']['library_max_abs_diff'] = max(abs(lib[k] - float(Fraction(engine_phi[k]))) for k in lib)
        ok &= report['shapley']['library_max_abs_diff'] < 1e-9
    except ImportError as e:
        report['shapley']['library'] = f'not available: {e}'

    lines = time_decay_lines(journeys)
    engine_lines = {}
    for line in open(f'{engine}/engine_time_decay_lines.tsv').read().split('\n'):
        if line:
            pid, c, amount = line.split('\t')
            engine_lines[(pid, c)] = units(amount)
    diff = [k for k in set(lines) | set(engine_lines) if lines.get(k) != engine_lines.get(k)]
    totals_py = defaultdict(int)
    totals_engine = defaultdict(int)
    for (pid, c), u in lines.items():
        totals_py[c] += u
    for (pid, c), u in engine_lines.items():
        totals_engine[c] += u
    report['time_decay'] = {'payment_lines': [len(lines), len(engine_lines)], 'line_mismatches': len(diff), 'examples': [str(k) for k in sorted(diff)[:5]],
                            'totals': {c: [fmt_units(totals_py[c]), fmt_units(totals_engine[c])] for c in sorted(set(totals_py) | set(totals_engine))}}
    ok &= not diff
    report['result'] = 'AGREE' if ok else 'DISAGREE'
    print(json.dumps(report, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
