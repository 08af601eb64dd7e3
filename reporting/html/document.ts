// report.html: one self-contained file (docs/reports.md). Inline CSS, charts as inline SVG
// rendered when the report is written, no script and no reference to anything outside the file,
// so it opens from disk with the network off and reads the same without JavaScript. Every chart
// has its data table under it; tables name the CSV file whose rows they repeat (data-csv).
import type { Chart, DataTable } from '../charts/chart';
import { escapeXml as esc } from '../charts/render';

export interface ReportHeader {
  title: string;
  /** Label → value lines of the header: model version, basis, period, cutoff, books, run ids. */
  fields: ReadonlyArray<readonly [string, string]>;
}

export type Block =
  | { type: 'text'; lines: ReadonlyArray<string> }
  | { type: 'list'; items: ReadonlyArray<string> }
  | { type: 'chart'; chart: Chart; svg: string }
  | { type: 'table'; id: string; caption: string; table: DataTable };

export interface Section {
  id: string;
  heading: string;
  blocks: ReadonlyArray<Block>;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
dl.header{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;margin:1rem 0 2rem}dl.header dt{font-weight:600}dl.header dd{margin:0;font-family:ui-monospace,monospace}
figure{margin:1.2rem 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.92rem;color:#444;margin:.3rem 0}
table{border-collapse:collapse;margin:.6rem 0 1.4rem;font-size:.88rem}caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid #ccc;padding:.2rem .5rem}th{background:#f3f3f3;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;font-family:ui-monospace,monospace}
`;

export function renderHtml(header: ReportHeader, sections: ReadonlyArray<Section>): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No network: the policy forbids every fetch, so the test (and a reader's browser) would notice one.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(header.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${esc(header.title)}</h1><dl class="header">`,
    ...header.fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd data-field="${esc(k)}">${esc(v)}</dd>`),
    '</dl></header>',
    '<main>',
  ];
  for (const section of sections) {
    out.push(`<section id="${esc(section.id)}" aria-labelledby="${esc(section.id)}-h"><h2 id="${esc(section.id)}-h">${esc(section.heading)}</h2>`);
    for (const block of section.blocks) out.push(renderBlock(block));
    out.push('</section>');
  }
  out.push('</main>', '</body>', '</html>', '');
  return out.join('\n');
}

function renderBlock(block: Block): string {
  switch (block.type) {
    case 'text':
      return block.lines.map((l) => `<p>${esc(l)}</p>`).join('\n');
    case 'list':
      return `<ul>${block.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
    case 'chart':
      return [
        `<figure id="${esc(block.chart.id)}" data-marks="${block.chart.marks.count}" data-mark-type="${block.chart.marks.type}">`,
        block.svg,
        `<figcaption>${esc(block.chart.description)}</figcaption>`,
        '</figure>',
        renderTable(`${block.chart.id}-data`, `Data: ${block.chart.title}`, block.chart.table),
      ].join('\n');
    case 'table':
      return renderTable(block.id, block.caption, block.table);
  }
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

function renderTable(id: string, caption: string, table: DataTable): string {
  const csv = table.csv ? ` data-csv="${esc(table.csv)}"` : '';
  const head = `<thead><tr>${table.header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = table.rows.map((row, i) => {
    const rowCsv = table.rowCsv?.[i] ? ` data-csv="${esc(table.rowCsv[i]!)}"` : '';
    return `<tr${rowCsv}>${row.map((c) => `<td${NUMERIC.test(c) ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`;
  });
  const empty = table.rows.length === 0 ? `<tr><td colspan="${table.header.length}">no rows</td></tr>` : '';
  return `<table id="${esc(id)}"${csv}><caption>${esc(caption)}</caption>${head}<tbody>${body.join('')}${empty}</tbody></table>`;
}
