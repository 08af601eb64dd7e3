/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Opens a report.html from disk in a real headless Chromium with the network off, and reads back
// what a test asserts: console errors, requests, the data marks of each chart, and the tables.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium';
import { PROJECT_ROOT } from '../../common/config';

export const ARTIFACTS_DIR = path.join(PROJECT_ROOT, 'test-artifacts');

export interface OpenedReport {
  consoleErrors: string[];
  /** Every request after the page itself (a self-contained report makes none). */
  requests: string[];
  charts: Array<{ id: string; declared: number; markType: string; marks: number; title: string; desc: string; labelled: boolean }>;
  tables: Array<{ id: string; csv: string | null; header: string[]; rows: Array<{ csv: string | null; cells: string[] }> }>;
  textLength: number;
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

export async function openReport(browser: Browser, file: string, screenshotName: string): Promise<OpenedReport> {
  const page = await browser.newPage();
  try {
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    await page.setOfflineMode(true);
    await page.setJavaScriptEnabled(false); // it must read the same without JavaScript
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(url, { waitUntil: 'load' });
    // page.evaluate runs through the DevTools protocol, which works with the page's scripts disabled.
    const read = await page.evaluate(() => {
      const charts = [...document.querySelectorAll('figure[data-marks]')].map((f) => {
        const svg = f.querySelector('svg')!;
        const type = f.getAttribute('data-mark-type')!;
        const ids = (svg.getAttribute('aria-labelledby') ?? '').split(' ');
        return {
          id: f.id, declared: Number(f.getAttribute('data-marks')), markType: type,
          marks: svg.querySelectorAll(`g.role-mark.mark-${type} > path`).length,
          title: svg.querySelector(':scope > title')?.textContent ?? '', desc: svg.querySelector(':scope > desc')?.textContent ?? '',
          labelled: svg.getAttribute('role') === 'img' && ids.every((id: string) => svg.querySelector(`#${CSS.escape(id)}`) !== null),
        };
      });
      const tables = [...document.querySelectorAll('table')].map((t) => ({
        id: t.id, csv: t.getAttribute('data-csv'),
        header: [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? ''),
        rows: [...t.querySelectorAll('tbody tr')].filter((tr) => !tr.querySelector('td[colspan]'))
          .map((tr) => ({ csv: tr.getAttribute('data-csv'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })),
      }));
      return { charts, tables, textLength: document.body.innerText.length };
    });
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${screenshotName}.png`) as `${string}.png`, fullPage: true });
    return { consoleErrors, requests, ...read };
  } finally {
    await page.close();
  }
}
