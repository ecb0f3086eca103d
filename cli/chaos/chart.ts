/**
 * The experiment's chart as a standalone SVG, drawn by hand (no chart
 * dependency): success per configuration on the left, retry amplification on
 * the right, with the published study's figures as markers where it gives one.
 */

export interface ChartRow {
  label: string;
  /** 0..1 */
  eventualSuccess: number;
  /** 0..1 */
  successWithinDeadline: number;
  amplification: number | undefined;
  published?: { success: number; amplification: number };
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const colours = { eventual: '#2b6cb0', deadline: '#90cdf4', amplification: '#dd6b20', published: '#c53030', axis: '#4a5568', grid: '#e2e8f0' };

export function experimentChartSvg(rows: ChartRow[], title: string, subtitle: string): string {
  const width = 1200;
  const height = 540;
  const top = 110;
  const bottom = 130;
  const plotHeight = height - top - bottom;
  const panels = [
    { x: 70, width: 620, title: 'Orders confirmed (share of orders placed)' },
    { x: 790, width: 370, title: 'Retry amplification (provider requests ÷ orders)' },
  ] as const;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="30" text-anchor="middle" font-size="19" font-weight="bold">${escape(title)}</text>`,
    `<text x="${width / 2}" y="52" text-anchor="middle" font-size="13" fill="${colours.axis}">${escape(subtitle)}</text>`,
  ];

  // Success panel: 0..100 %.
  const success = panels[0];
  const y = (fraction: number) => top + plotHeight * (1 - fraction);
  parts.push(`<text x="${success.x + success.width / 2}" y="${top - 30}" text-anchor="middle" font-weight="bold">${escape(success.title)}</text>`);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${success.x}" x2="${success.x + success.width}" y1="${y(tick)}" y2="${y(tick)}" stroke="${colours.grid}"/>`);
    parts.push(`<text x="${success.x - 8}" y="${y(tick) + 4}" text-anchor="end" fill="${colours.axis}">${tick * 100}%</text>`);
  }
  const group = success.width / rows.length;
  const bar = Math.min(36, group / 3);
  rows.forEach((row, index) => {
    const centre = success.x + group * index + group / 2;
    const bars = [
      { value: row.eventualSuccess, colour: colours.eventual, x: centre - bar },
      { value: row.successWithinDeadline, colour: colours.deadline, x: centre },
    ];
    for (const { value, colour, x } of bars) {
      parts.push(`<rect x="${x}" y="${y(value)}" width="${bar - 2}" height="${plotHeight * value}" fill="${colour}"/>`);
      parts.push(`<text x="${x + bar / 2 - 1}" y="${y(value) - 4}" text-anchor="middle" font-size="11">${Math.round(value * 100)}</text>`);
    }
    if (row.published) {
      const py = y(row.published.success);
      parts.push(`<line x1="${centre - bar - 6}" x2="${centre + bar + 4}" y1="${py}" y2="${py}" stroke="${colours.published}" stroke-width="2.5" stroke-dasharray="5 3"/>`);
    }
    parts.push(...label(centre, top + plotHeight + 18, row.label));
  });

  // Amplification panel: 0..max (at least 3×, so 2.6× fits).
  const amp = panels[1];
  const maxAmp = Math.max(3, ...rows.map((row) => row.amplification ?? 0), ...rows.map((row) => row.published?.amplification ?? 0));
  const ay = (value: number) => top + plotHeight * (1 - value / maxAmp);
  parts.push(`<text x="${amp.x + amp.width / 2}" y="${top - 30}" text-anchor="middle" font-weight="bold">${escape(amp.title)}</text>`);
  for (let tick = 0; tick <= maxAmp; tick += maxAmp > 6 ? 2 : 1) {
    parts.push(`<line x1="${amp.x}" x2="${amp.x + amp.width}" y1="${ay(tick)}" y2="${ay(tick)}" stroke="${colours.grid}"/>`);
    parts.push(`<text x="${amp.x - 8}" y="${ay(tick) + 4}" text-anchor="end" fill="${colours.axis}">${tick}×</text>`);
  }
  const ampGroup = amp.width / rows.length;
  const ampBar = Math.min(30, ampGroup * 0.6);
  rows.forEach((row, index) => {
    const centre = amp.x + ampGroup * index + ampGroup / 2;
    if (row.amplification !== undefined) {
      parts.push(`<rect x="${centre - ampBar / 2}" y="${ay(row.amplification)}" width="${ampBar}" height="${top + plotHeight - ay(row.amplification)}" fill="${colours.amplification}"/>`);
      parts.push(`<text x="${centre}" y="${ay(row.amplification) - 4}" text-anchor="middle" font-size="11">${row.amplification.toFixed(2)}</text>`);
    }
    if (row.published) {
      const py = ay(row.published.amplification);
      parts.push(`<line x1="${centre - ampBar / 2 - 5}" x2="${centre + ampBar / 2 + 5}" y1="${py}" y2="${py}" stroke="${colours.published}" stroke-width="2.5" stroke-dasharray="5 3"/>`);
    }
    parts.push(...label(centre, top + plotHeight + 18, shortLabel(row.label), 10));
  });

  // Legend.
  const legendY = height - 28;
  const legend = [
    { colour: colours.eventual, text: 'confirmed in the end' },
    { colour: colours.deadline, text: 'confirmed by the saga deadline' },
    { colour: colours.amplification, text: 'provider requests per order' },
  ];
  legend.forEach(({ colour, text }, index) => {
    const x = 70 + index * 260;
    parts.push(`<rect x="${x}" y="${legendY - 11}" width="14" height="14" fill="${colour}"/><text x="${x + 20}" y="${legendY}">${escape(text)}</text>`);
  });
  parts.push(`<line x1="850" x2="880" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colours.published}" stroke-width="2.5" stroke-dasharray="5 3"/><text x="888" y="${legendY}">published study</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** A label on up to two lines under a bar group. */
function label(x: number, y: number, text: string, size = 12): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.at(-1);
    if (last !== undefined && (last + ' ' + word).length <= 14) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.slice(0, 3).map((line, index) => `<text x="${x}" y="${y + index * (size + 3)}" text-anchor="middle" font-size="${size}">${escape(line)}</text>`);
}

/** The amplification panel is narrow: one word per configuration. */
const shortLabels: Record<string, string> = {
  'no resilience': 'none',
  'retries only': 'retries',
  '+ timeouts': '+timeouts',
  '+ circuit breaker': '+breaker',
  '+ bulkheads and shedding': '+bulkheads',
  '+ idempotency and outbox': '+idempotency',
};
const shortLabel = (text: string) => shortLabels[text] ?? text;
