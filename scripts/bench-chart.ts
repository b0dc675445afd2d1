// Renders a grouped bar chart (SVG) of requests per second for direct Redis, twemproxy and jupiter
// per scenario, from yardstick's raw CSV (target,scenario,rps,p50,p99,round; medians over rounds).
//   node --import tsx scripts/bench-chart.ts bench-results.raw.csv docs/benchmarks.svg
import { readFileSync, writeFileSync } from 'node:fs';

const [input = 'bench-results.raw.csv', output = 'docs/benchmarks.svg'] = process.argv.slice(2);
const targets = ['direct', 'twemproxy', 'candidate'] as const;
const labels: Record<string, string> = { direct: 'direct Redis (1 node)', twemproxy: 'twemproxy', candidate: 'jupiter' };
const colors: Record<string, string> = { direct: '#9aa5b1', twemproxy: '#e0a458', candidate: '#3b7dd8' };

const samples = new Map<string, number[]>();
for (const line of readFileSync(input, 'utf8').trim().split('\n')) {
  const [target, scenario, rps] = line.split(',');
  const key = `${scenario}|${target}`;
  samples.set(key, [...(samples.get(key) ?? []), Number(rps)]);
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const scenarios = [...new Set([...samples.keys()].map((k) => k.split('|')[0]))].sort(
  (a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]) || a.localeCompare(b),
);
const value = (scenario: string, target: string): number => median(samples.get(`${scenario}|${target}`) ?? [0]);
const max = Math.max(...scenarios.flatMap((s) => targets.map((t) => value(s, t))));

const bar = 18;
const group = bar * targets.length + 24;
const left = 70;
const top = 40;
const height = 260;
const width = left + scenarios.length * group + 20;
const y = (v: number): number => top + height - (v / max) * height;
const parts: string[] = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 90}" font-family="sans-serif" font-size="11">`,
  `<text x="${left}" y="20" font-size="13">requests per second (median of rounds), higher is better</text>`,
];
for (let i = 0; i <= 4; i++) {
  const v = (max * i) / 4;
  parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
  parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v / 1000)}k</text>`);
}
scenarios.forEach((s, gi) => {
  const x0 = left + gi * group + 12;
  targets.forEach((t, ti) => {
    const v = value(s, t);
    parts.push(`<rect x="${x0 + ti * bar}" y="${y(v)}" width="${bar - 2}" height="${top + height - y(v)}" fill="${colors[t]}"><title>${labels[t]} ${s}: ${Math.round(v)}</title></rect>`);
  });
  parts.push(`<text x="${x0 + (bar * targets.length) / 2}" y="${top + height + 16}" text-anchor="middle">${s}</text>`);
});
targets.forEach((t, i) => {
  parts.push(`<rect x="${left + i * 170}" y="${top + height + 40}" width="12" height="12" fill="${colors[t]}"/>`);
  parts.push(`<text x="${left + i * 170 + 18}" y="${top + height + 50}">${labels[t]}</text>`);
});
parts.push('</svg>');
writeFileSync(output, parts.join('\n') + '\n');
console.log(`wrote ${output} (${scenarios.length} scenarios)`);
