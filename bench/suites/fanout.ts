/**
 * 3. Fan-out: N viewers (socket.io-client, in viewer processes of their own) on one scene
 * of the real app (own process), N = 100, 1,000, 5,000. Delivery latency of
 * `conversation:line` (viewer's clock − payload `at`, one machine clock) and server CPU per
 * delivered message over a steady-state window after everyone has joined.
 *
 * Baseline: a bare socket.io 4.8.3 server (own process) replaying, to the same number of
 * viewers, the trace of events the app sent in its window: same payloads, same times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { DIST, ROOT, writeWorld } from '../lib/fixtures.js';
import { request, spawnNode, stop, waitMessage } from '../lib/children.js';
import { report, row, type BenchRow } from '../lib/result.js';
import { fmt, percentile, sleep } from '../lib/stats.js';

const SIZES = (process.env.BENCH_FANOUT_SIZES ?? '100,1000,5000').split(',').map(Number);
const WINDOW_MS = 12_000;
/** Viewers open this many connections a second: arrivals, not a flood. */
const JOINS_PER_SECOND = 500;
/** Viewers per viewer process; more processes spread the clients' own CPU over both cores. */
const VIEWERS_PER_PROCESS = 1_250;
const SETTLE_MS = 1_500;
/** Brisker than the default pace, so a window holds enough lines to rank a p99. */
const PACE = { TICK_MS: '250', READING_CPS: '30', MIN_READING_MS: '1000' };

interface Collected {
  messages: number;
  latencies: number[];
  trace: { t: number; name: string; payload: Record<string, unknown> }[];
}

async function withViewers<T>(n: number, fn: (viewers: ChildProcess[]) => Promise<T>): Promise<T> {
  const count = Math.max(1, Math.ceil(n / VIEWERS_PER_PROCESS));
  const viewers = Array.from({ length: count }, () =>
    spawnNode(join(DIST, 'bench/clients/viewers.js'), [], { cwd: ROOT }),
  );
  try {
    await Promise.all(viewers.map((v) => waitMessage(v, 'ready')));
    return await fn(viewers);
  } finally {
    await Promise.all(viewers.map((v) => stop(v, 1_000)));
  }
}

async function connectAll(
  viewers: ChildProcess[],
  url: string,
  sceneId: string,
  n: number,
): Promise<{ joined: number; failed: number; snapshot: unknown }> {
  const share = (i: number) => Math.floor(n / viewers.length) + (i < n % viewers.length ? 1 : 0);
  const results = await Promise.all(
    viewers.map((v, i) =>
      request<{ joined: number; failed: number; snapshot: unknown }>(
        v,
        { type: 'connect', url, sceneId, count: share(i), perSecond: JOINS_PER_SECOND / viewers.length },
        120_000,
      ),
    ),
  );
  return {
    joined: results.reduce((s, r) => s + r.joined, 0),
    failed: results.reduce((s, r) => s + r.failed, 0),
    snapshot: results[0].snapshot,
  };
}

async function measure(
  server: ChildProcess,
  viewers: ChildProcess[],
  during?: () => Promise<void>,
): Promise<{ cpuMs: number; messages: number; latencies: number[]; trace: Collected['trace'] }> {
  await Promise.all(viewers.map((v) => request(v, { type: 'window' })));
  const cpu0 = (await request<{ cpuMs: number }>(server, { type: 'cpu' })).cpuMs;
  await during?.();
  await sleep(WINDOW_MS);
  const cpu1 = (await request<{ cpuMs: number }>(server, { type: 'cpu' })).cpuMs;
  const collected = await Promise.all(viewers.map((v) => request<Collected>(v, { type: 'collect' })));
  return {
    cpuMs: cpu1 - cpu0,
    messages: collected.reduce((s, c) => s + c.messages, 0),
    latencies: collected.flatMap((c) => c.latencies),
    trace: collected[0].trace,
  };
}

const rows: BenchRow[] = [];
const series: Record<string, { x: number; y: number }[]> = { appP50: [], appP99: [], bareP50: [], bareP99: [] };
const dir = mkdtempSync(join(tmpdir(), 'pixeltales-bench-fanout-'));
try {
  const world = writeWorld(dir, { scenes: 1, castSize: 4 });
  const sceneId = world.sceneIds[0];
  for (const n of SIZES) {
    // The app, fresh for each N.
    const app = spawnNode(join(DIST, 'bench/servers/app-server.js'), [], {
      cwd: ROOT,
      env: {
        DATABASE_URL: `sqlite:${join(dir, `app-${n}.sqlite`)}`,
        DATA_DIR: dir,
        SCENES_DIR: world.scenesDir,
        PROMPTS_DIR: world.promptsDir,
        LOG_LEVEL: 'error',
        ...PACE,
      },
    });
    const { port } = await waitMessage<{ port: number }>(app, 'ready');
    const ours = await withViewers(n, async (viewers) => {
      const joined = await connectAll(viewers, `http://127.0.0.1:${port}`, sceneId, n);
      await sleep(SETTLE_MS);
      return { ...(await measure(app, viewers)), ...joined };
    });
    await stop(app);

    const bare = spawnNode(join(DIST, 'bench/servers/bare-server.js'), [], { cwd: ROOT });
    const { port: barePort } = await waitMessage<{ port: number }>(bare, 'ready');
    await request(bare, { type: 'snapshot', snapshot: ours.snapshot });
    const theirs = await withViewers(n, async (viewers) => {
      const joined = await connectAll(viewers, `http://127.0.0.1:${barePort}`, sceneId, n);
      await sleep(SETTLE_MS);
      return {
        ...(await measure(bare, viewers, () => request(bare, { type: 'replay', trace: ours.trace }))),
        ...joined,
      };
    });
    await stop(bare);

    const ourPerMsg = ours.cpuMs / Math.max(1, ours.messages);
    const barePerMsg = theirs.cpuMs / Math.max(1, theirs.messages);
    const op50 = percentile(ours.latencies, 50);
    const op99 = percentile(ours.latencies, 99);
    const bp50 = percentile(theirs.latencies, 50);
    const bp99 = percentile(theirs.latencies, 99);
    series.appP50.push({ x: n, y: op50 });
    series.appP99.push({ x: n, y: op99 });
    series.bareP50.push({ x: n, y: bp50 });
    series.bareP99.push({ x: n, y: bp99 });
    process.stderr.write(
      `fanout N=${n}: joined ${ours.joined}/${n} (bare ${theirs.joined}); app ${ours.messages} msgs, ${fmt(ours.cpuMs)} ms CPU, line p50 ${op50} p99 ${op99} (${ours.latencies.length} samples); bare ${theirs.messages} msgs, ${fmt(theirs.cpuMs)} ms CPU, p50 ${bp50} p99 ${bp99}\n`,
    );
    const label = `N = ${n.toLocaleString('en-US')}`;
    rows.push(
      row({
        section: '3. Fan-out',
        metric: `${label}: conversation:line latency p50 (ms)`,
        value: op50,
        baseline: bp50,
        baselineLabel: 'bare socket.io 4.8.3, same trace',
        target: '—',
        met: null,
        note: `${ours.latencies.length} deliveries; ${ours.joined}/${n} joined`,
      }),
      row({
        section: '3. Fan-out',
        metric: `${label}: conversation:line latency p99 (ms)`,
        value: op99,
        baseline: bp99,
        baselineLabel: 'bare socket.io 4.8.3, same trace',
        target: n === 5_000 ? '< 150 ms' : '—',
        // A p99 over viewers that never joined is no p99 of N viewers: not met.
        met: n === 5_000 ? op99 < 150 && ours.joined === n : null,
        note:
          ours.joined < n ? `only ${ours.joined}/${n} viewers joined the app (bare: ${theirs.joined}/${n})` : undefined,
      }),
      row({
        section: '3. Fan-out',
        metric: `${label}: server CPU per delivered message (µs)`,
        value: ourPerMsg * 1000,
        baseline: barePerMsg * 1000,
        baselineLabel: 'bare socket.io 4.8.3, same trace',
        target: '≤ 1.25× baseline',
        met: ourPerMsg / barePerMsg <= 1.25 && ours.joined === n,
        note: `${ours.messages.toLocaleString('en-US')} vs ${theirs.messages.toLocaleString('en-US')} messages in ${WINDOW_MS / 1000} s`,
      }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report({
  suite: 'fanout',
  rows,
  series,
  details: `Fan-out: the real app in its own process with one town square (offline model, TICK_MS ${PACE.TICK_MS}, READING_CPS ${PACE.READING_CPS}, MIN_READING_MS ${PACE.MIN_READING_MS}: brisker than the default so a ${WINDOW_MS / 1000} s window holds enough lines), viewers in processes of ${VIEWERS_PER_PROCESS.toLocaleString('en-US')} socket.io-client sockets each (websocket transport), joining at ${JOINS_PER_SECOND}/s. After all joined and ${SETTLE_MS} ms to settle, a ${WINDOW_MS / 1000} s window: server CPU is \`process.cpuUsage()\` of the server process, messages are every event the viewers received, latency is viewer \`Date.now()\` − payload \`at\` (the tick's time, so it includes the commit). Baseline: a bare socket.io 4.8.3 server with the app's socket options, replaying the trace of events viewer 0 received from the app (same payloads, same times, \`at\` set at emit). Everything, viewers included, shares 2 cores: client CPU shows up in the latencies.`,
});
