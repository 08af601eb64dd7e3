// Renders a chart's Vega-Lite specification to an SVG string, in this process, when the report is
// written (no browser, no JavaScript in the report). The SVG gets a <title> and a <desc> and is
// labelled by them (role="img"), so a screen reader announces what the chart shows; the data
// marks keep Vega's own aria labels. No I/O: text is measured by Vega's built-in estimate.
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { Chart } from './chart';

export async function renderChartSvg(chart: Chart): Promise<string> {
  const compiled = vegaLite.compile(chart.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    return labelled(svg, chart);
  } finally {
    view.finalize();
  }
}

function labelled(svg: string, chart: Chart): string {
  const titleId = `${chart.id}-title`;
  const descId = `${chart.id}-desc`;
  const open = svg.indexOf('>') + 1;
  const tag = svg.slice(0, open - 1)
    .replace(/^<svg /, `<svg id="${escapeXml(chart.id)}-svg" role="img" aria-labelledby="${escapeXml(titleId)} ${escapeXml(descId)}" data-chart="${escapeXml(chart.id)}" `);
  return `${tag}><title id="${escapeXml(titleId)}">${escapeXml(chart.title)}</title><desc id="${escapeXml(descId)}">${escapeXml(chart.description)}</desc>${svg.slice(open)}`;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
