/** Tiny chart writers for docs/benchmarks.md: an SVG line chart and an ASCII bar chart. */

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

/** Line chart with a log-scaled x axis (N = 100, 1,000, 5,000 spread evenly enough). */
export function svgLineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const width = 640;
  const height = 360;
  const pad = { left: 64, right: 150, top: 36, bottom: 48 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && p.x > 0);
  if (all.length === 0) return '';
  const xs = all.map((p) => Math.log10(p.x));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) === xMin ? xMin + 1 : Math.max(...xs);
  const yMax = Math.max(...all.map((p) => p.y)) * 1.1 || 1;
  const px = (x: number) => pad.left + ((Math.log10(x) - xMin) / (xMax - xMin)) * (width - pad.left - pad.right);
  const py = (y: number) => height - pad.bottom - (y / yMax) * (height - pad.top - pad.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2 - 60}" y="20" font-size="14">${escape(title)}</text>`);
  parts.push(
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="black"/>`,
  );
  parts.push(`<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="black"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(`<line x1="${pad.left - 4}" y1="${py(y)}" x2="${width - pad.right}" y2="${py(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${pad.left - 8}" y="${py(y) + 4}" text-anchor="end">${Math.round(y)}</text>`);
  }
  for (const x of [...new Set(all.map((p) => p.x))].sort((a, b) => a - b)) {
    parts.push(
      `<text x="${px(x)}" y="${height - pad.bottom + 16}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 10}" text-anchor="middle">${escape(xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${(pad.top + height - pad.bottom) / 2}" transform="rotate(-90 14 ${(pad.top + height - pad.bottom) / 2})" text-anchor="middle">${escape(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (pts.length === 0) return;
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts)
      parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    parts.push(`<rect x="${width - pad.right + 12}" y="${pad.top + i * 20}" width="12" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${width - pad.right + 30}" y="${pad.top + i * 20 + 5}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Horizontal bars, one per labelled value, for a Markdown code block. */
export function asciiBars(rows: { label: string; value: number }[], unit: string, width = 50): string {
  const max = Math.max(...rows.map((r) => (Number.isFinite(r.value) ? r.value : 0)), 1e-9);
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  return rows
    .map((r) => {
      const n = Number.isFinite(r.value) ? Math.round((r.value / max) * width) : 0;
      return `${r.label.padEnd(labelWidth)} │${'█'.repeat(n)}${' '.repeat(width - n)}│ ${Number.isFinite(r.value) ? Math.round(r.value) : 'n/a'} ${unit}`;
    })
    .join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
