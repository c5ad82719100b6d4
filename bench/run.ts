/**
 * `npm run bench`: runs every suite in its own process (so one suite's heap, timers and
 * sockets cannot colour the next), collects their rows, prints the table and writes
 * docs/benchmarks.md. Each suite has a time limit; its whole process group is killed
 * when it ends or overruns, so no server or viewer process outlives the run.
 */
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { DIST, ROOT } from './lib/fixtures.js';
import { RESULT_PREFIX, type BenchRow, type SuiteResult } from './lib/result.js';
import { asciiBars, svgLineChart } from './lib/plot.js';
import { fmt } from './lib/stats.js';

interface SuitePlan {
  name: string;
  /** Hard limit for the suite, in ms; the whole run must stay under 10 minutes. */
  limitMs: number;
}

const SUITES: SuitePlan[] = [
  { name: 'engine', limitMs: 60_000 },
  { name: 'prompt-growth', limitMs: 90_000 },
  { name: 'persistence', limitMs: 120_000 },
  { name: 'latency', limitMs: 100_000 },
  { name: 'fanout', limitMs: 200_000 },
  { name: 'bandwidth', limitMs: 60_000 },
  { name: 'viewer', limitMs: 60_000 },
];

const only = process.argv.slice(2);
const live = new Set<number>();
const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // group already gone
  }
};
process.on('exit', () => {
  for (const pid of live) killGroup(pid);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of live) killGroup(pid);
    process.exit(130);
  });
}

function runSuite(plan: SuitePlan): Promise<SuiteResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    process.stderr.write(`\n── ${plan.name} (limit ${plan.limitMs / 1000} s)\n`);
    // Its own process group (detached), so killing -pid takes its servers and viewers too.
    const child = spawn(process.execPath, ['--expose-gc', join(DIST, 'bench/suites', `${plan.name}.js`)], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    live.add(child.pid!);
    let out = '';
    let result: SuiteResult | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length)) as SuiteResult;
        else process.stderr.write(`${line}\n`);
      }
    });
    const timer = setTimeout(() => {
      process.stderr.write(`${plan.name}: over its ${plan.limitMs / 1000} s limit, killed\n`);
      killGroup(child.pid!);
    }, plan.limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Anything the suite left behind goes with its group.
      killGroup(child.pid!);
      live.delete(child.pid!);
      process.stderr.write(`── ${plan.name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      resolve(result ?? { suite: plan.name, rows: [], error: `exited with ${signal ?? code} before reporting` });
    });
  });
}

function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return `${cpus().length} cores (nproc), ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
}

function cell(v: number | null): string {
  return v === null ? '—' : fmt(v);
}

function table(rows: BenchRow[]): string {
  const header = '| # | metric | value | baseline | baseline is | ratio | target | met |';
  const lines = [header, '| --- | --- | ---: | ---: | --- | ---: | --- | --- |'];
  for (const r of rows) {
    lines.push(
      `| ${r.section} | ${r.metric} | ${cell(r.value)} | ${cell(r.baseline)} | ${r.baselineLabel} | ${r.ratio === null ? '—' : `${fmt(r.ratio)}×`} | ${r.target || '—'} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

function consoleTable(rows: BenchRow[]): string {
  const data = rows.map((r) => [
    r.section,
    r.metric,
    cell(r.value),
    cell(r.baseline),
    r.ratio === null ? '—' : `${fmt(r.ratio)}×`,
    r.target || '—',
    r.met === null ? '—' : r.met ? 'yes' : 'NO',
  ]);
  const head = ['#', 'metric', 'value', 'baseline', 'ratio', 'target', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...data.map((d) => d[i].length)));
  const fmtRow = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [fmtRow(head), widths.map((w) => '─'.repeat(w)).join('  '), ...data.map(fmtRow)].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: SuiteResult[] = [];
  for (const plan of SUITES) {
    if (only.length > 0 && !only.includes(plan.name)) continue;
    results.push(await runSuite(plan));
  }
  const rows = results.flatMap((r) => r.rows);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\n${consoleTable(rows)}\n`);
  for (const r of results) if (r.error) process.stdout.write(`\n${r.suite}: ${r.error}\n`);
  process.stdout.write(`\nbench finished in ${seconds.toFixed(0)} s on ${machine()}\n`);

  if (only.length > 0) {
    process.stdout.write('(a subset ran: docs/benchmarks.md left as it was)\n');
    return;
  }
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  const doc: string[] = [];
  doc.push('# Benchmarks', '');
  doc.push(
    `Written by \`npm run bench\` on ${new Date().toISOString()} (whole run: ${seconds.toFixed(0)} s). Do not edit by hand: the notes on optimisations come from \`bench/optimisations.md\`.`,
    '',
  );
  doc.push(`**Machine**: ${machine()}.`, '');
  doc.push(
    'Every figure sits next to a baseline measured in the same run, because these machines are noisy: read the ratios. "met" compares the value with the target of issue #7.',
    '',
  );
  doc.push(table(rows), '');
  for (const r of results) if (r.error) doc.push(`> **${r.suite}** did not complete: ${r.error}`, '');

  const fanout = results.find((r) => r.suite === 'fanout');
  if (fanout?.series) {
    const s = fanout.series;
    const svg = svgLineChart(
      'conversation:line delivery latency vs viewers',
      'viewers on one scene (N)',
      'latency (ms)',
      [
        { name: 'PixelTales p99', color: '#c0392b', points: s.appP99 ?? [] },
        { name: 'PixelTales p50', color: '#e67e22', points: s.appP50 ?? [] },
        { name: 'bare socket.io p99', color: '#2c3e50', points: s.bareP99 ?? [] },
        { name: 'bare socket.io p50', color: '#7f8c8d', points: s.bareP50 ?? [] },
      ],
    );
    if (svg) {
      writeFileSync(join(ROOT, 'docs/fanout-latency.svg'), svg);
      doc.push('## Fan-out latency', '', '![fan-out latency vs N](fanout-latency.svg)', '');
      doc.push(
        '```',
        asciiBars(
          (s.appP99 ?? []).flatMap((p, i) => [
            { label: `N=${p.x} PixelTales p99`, value: p.y },
            { label: `N=${p.x} bare p99`, value: s.bareP99?.[i]?.y ?? NaN },
          ]),
          'ms',
        ),
        '```',
        '',
      );
    }
  }
  doc.push('## How each figure is measured', '');
  for (const r of results) if (r.details) doc.push(r.details, '');
  const notes = join(ROOT, 'bench/optimisations.md');
  if (existsSync(notes)) doc.push(readFileSync(notes, 'utf8').trim(), '');
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), `${doc.join('\n')}\n`);
  process.stdout.write('wrote docs/benchmarks.md\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
