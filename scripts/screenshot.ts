// `npm run screenshot [-- report.html [out.png]]`: the README's picture of report.html, taken in
// headless Chromium (installed when missing, see scripts/chromium.ts) from the report `npm start`
// writes, offline. Regenerate it after changing the report's layout and commit the PNG.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { PROJECT_ROOT } from '../common/config';
import { CHROMIUM_ARGS, chromiumPath } from './chromium';

const report = path.resolve(process.argv[2] ?? path.join(PROJECT_ROOT, 'out', 'krispcall-small', 'report.html'));
const target = path.resolve(process.argv[3] ?? path.join(PROJECT_ROOT, 'docs', 'report-screenshot.png'));
if (!fs.existsSync(report)) {
  console.error(`${report} does not exist: run \`npm start\` first (it writes out/krispcall-small/report.html), or name a report.html.`);
  process.exit(1);
}
const browser = await puppeteer.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
try {
  const page = await browser.newPage();
  await page.setOfflineMode(true);
  await page.setJavaScriptEnabled(false);
  await page.setViewport({ width: 1100, height: 1500 });
  await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
  // The header, the method and the first charts: what the report looks like, at a size a README can show.
  await page.screenshot({ path: target as `${string}.png`, clip: { x: 0, y: 0, width: 1100, height: 1500 } });
  console.log(`Wrote ${path.relative(PROJECT_ROOT, target)} from ${report}`);
} finally {
  await browser.close();
}
