// The progress ticker on a terminal and off one (a pipe, a CI log).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTicker, stopAllTickers, textBar } from '../../client/progress';

/** A stream that records what is written; `isTTY` as asked. */
function fakeStream(tty: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { text: '', isTTY: tty, columns: 80, write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('progress ticker', () => {
  it('off a terminal prints plain lines, only when they change, at most once per interval', async () => {
    const stream = fakeStream(false);
    let n = 0;
    const lines = ['months 1/3', 'months 1/3', 'months 2/3', 'months 3/3'];
    const ticker = startTicker(async () => lines[Math.min(n++, lines.length - 1)]!, { stream, everyMs: 10, plainEveryMs: 0 });
    await sleep(120);
    await ticker.stop();
    assert.equal(stream.text, 'months 1/3\nmonths 2/3\nmonths 3/3\n');
    assert.doesNotMatch(stream.text, /[\r{}]/);
  });

  it('off a terminal throttles: a change within the interval waits for the next one', async () => {
    const stream = fakeStream(false);
    let n = 0;
    const ticker = startTicker(async () => `step ${n++}`, { stream, everyMs: 10, plainEveryMs: 10_000 });
    await sleep(100);
    await ticker.stop();
    assert.equal(stream.text, 'step 0\n');
  });

  it('on a terminal redraws one line in place, and stop() ends it so the result starts on a line of its own', async () => {
    const stream = fakeStream(true);
    let n = 0;
    const ticker = startTicker(async () => (n++ < 2 ? `shards ${n}/2` : null), { stream, everyMs: 10 });
    await sleep(100);
    await ticker.stop();
    assert.equal(stream.text, '\r\x1b[2Kshards 1/2\r\x1b[2Kshards 2/2\n');
    stream.text = '';
    await sleep(50);
    assert.equal(stream.text, '', 'nothing is drawn after stop()');
  });

  it('stopAllTickers ends every progress line at once (Ctrl-C)', async () => {
    const stream = fakeStream(true);
    startTicker(async () => 'busy', { stream, everyMs: 10 });
    await sleep(50);
    stopAllTickers();
    const after = stream.text;
    assert.ok(after.endsWith('busy\n'), JSON.stringify(after));
    await sleep(50);
    assert.equal(stream.text, after);
  });

  it('draws a bar of the done share', () => {
    assert.equal(textBar(3, 6, 10), '█████░░░░░ 3/6');
    assert.equal(textBar(0, 0, 4), '░░░░ 0/0');
    assert.equal(textBar(7, 6, 4), '████ 7/6');
  });
});
