/**
 * 2. Latency hiding: the real app (own process) with LLM_MODEL=openai:fake against a fake
 * OpenAI-compatible server that answers every call in 2 s (own process). A viewer records
 * `conversation:line`; for consecutive lines of a conversation, gap ÷ reading time of the
 * earlier line (what the viewer waits beyond reading it). Tick lateness from the app's
 * SceneRunner.step.
 *
 * Baselines, in the same window: (a) the original design, a loop that awaits the same fake
 * model inline before each line and then lets it be read; (b) for lateness, a process
 * keeping the same tick schedule with nothing else to do (the machine's timer noise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { DIST, ROOT, writeWorld } from '../lib/fixtures.js';
import { request, spawnNode, stop, waitMessage } from '../lib/children.js';
import { report, row } from '../lib/result.js';
import { fmt, mean, percentile, sleep } from '../lib/stats.js';

const TICK_MS = 500;
const READING_CPS = 15;
const MIN_READING_MS = 2_000;
const MAX_READING_MS = 9_000;
const SCENES = 6;
/** Enough model calls in flight for every conversation of every scene at once. */
const LLM_CONCURRENCY = 16;
const WINDOW_MS = 50_000;
const BASELINE_LOOPS = 4;

const readingMs = (text: string) =>
  Math.min(MAX_READING_MS, Math.max(MIN_READING_MS, Math.round((text.length / READING_CPS) * 1000)));

const dir = mkdtempSync(join(tmpdir(), 'pixeltales-bench-latency-'));
const sockets: Socket[] = [];
try {
  const world = writeWorld(dir, { scenes: SCENES, castSize: 4 });
  const fake = spawnNode(join(DIST, 'bench/fakes/slow-openai.js'), [], { cwd: ROOT });
  const { port: fakePort } = await waitMessage<{ port: number }>(fake, 'ready');
  const timer = spawnNode(join(DIST, 'bench/servers/bare-timer.js'), [], {
    cwd: ROOT,
    env: { TICK_MS: String(TICK_MS), BENCH_TIMERS: String(SCENES) },
  });
  await waitMessage(timer, 'ready');
  const app = spawnNode(join(DIST, 'bench/servers/app-server.js'), [], {
    cwd: ROOT,
    env: {
      DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
      DATA_DIR: dir,
      SCENES_DIR: world.scenesDir,
      PROMPTS_DIR: world.promptsDir,
      LOG_LEVEL: 'error',
      TICK_MS: String(TICK_MS),
      READING_CPS: String(READING_CPS),
      MIN_READING_MS: String(MIN_READING_MS),
      LLM_MODEL: 'openai:fake',
      LLM_BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
      LLM_API_KEY: 'x',
      LLM_MAX_CONCURRENCY: String(LLM_CONCURRENCY),
    },
  });
  const { port } = await waitMessage<{ port: number }>(app, 'ready');
  const lines: { conversationId: string; text: string; at: number }[] = [];
  for (const sceneId of world.sceneIds) {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    socket.on('conversation:line', (l: { conversationId: string; text: string; at: number }) =>
      lines.push({ conversationId: l.conversationId, text: l.text, at: l.at }),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await socket.timeout(10_000).emitWithAck('scene:join', { sceneId });
  }
  await request(app, { type: 'lateness' });
  await request(timer, { type: 'lateness' });

  // Baseline (a): the original design, inline, same fake, same window.
  const baselineRatios: number[] = [];
  const deadline = Date.now() + WINDOW_MS;
  const loops = Array.from({ length: BASELINE_LOOPS }, async () => {
    let previous: { text: string; at: number } | null = null;
    while (Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${fakePort}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 'say a line' }] }),
      });
      const body = (await res.json()) as {
        choices: { message: { tool_calls: { function: { arguments: string } }[] } }[];
      };
      const say = (JSON.parse(body.choices[0].message.tool_calls[0].function.arguments) as { say: string }).say;
      const at = Date.now();
      if (previous) baselineRatios.push((at - previous.at) / readingMs(previous.text));
      previous = { text: say, at };
      // The bubble is read before the next call even starts: that is the original design.
      await sleep(Math.min(readingMs(say), Math.max(0, deadline - Date.now())));
    }
  });
  await Promise.all(loops);

  const appLate = (await request<{ samples: number[] }>(app, { type: 'lateness' })).samples;
  const timerLate = (await request<{ samples: number[] }>(timer, { type: 'lateness' })).samples;
  await Promise.all([stop(app), stop(fake), stop(timer)]);

  const byConversation = new Map<string, { text: string; at: number }[]>();
  for (const l of lines) byConversation.set(l.conversationId, [...(byConversation.get(l.conversationId) ?? []), l]);
  const ratios: number[] = [];
  for (const list of byConversation.values()) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 1; i < list.length; i++) ratios.push((list[i].at - list[i - 1].at) / readingMs(list[i - 1].text));
  }
  const gap = mean(ratios);
  const baseGap = mean(baselineRatios);
  process.stderr.write(
    `latency: ${lines.length} lines, ${ratios.length} gaps, mean gap/reading ${fmt(gap)} (p90 ${fmt(percentile(ratios, 90))}); inline baseline ${fmt(baseGap)} over ${baselineRatios.length} gaps\n`,
  );
  process.stderr.write(
    `lateness: app p50 ${percentile(appLate, 50)} p99 ${percentile(appLate, 99)} (${appLate.length} ticks); bare timer p50 ${percentile(timerLate, 50)} p99 ${percentile(timerLate, 99)}\n`,
  );
  report({
    suite: 'latency',
    rows: [
      row({
        section: '2. Latency hiding',
        metric: `mean gap between lines ÷ reading time (model answers in 2 s; ${ratios.length} gaps)`,
        value: gap,
        baseline: baseGap,
        baselineLabel: 'await the model inline, then read',
        target: '≤ 1.1',
        met: ratios.length > 0 && gap <= 1.1,
        note: `p90 ${fmt(percentile(ratios, 90))}; ticks are ${TICK_MS} ms, so a line shows up to one tick after its bubble was read`,
      }),
      row({
        section: '2. Latency hiding',
        metric: 'tick lateness p50 (ms)',
        value: percentile(appLate, 50),
        baseline: percentile(timerLate, 50),
        baselineLabel: 'bare timer loop, same schedule',
        ratio: null,
        target: '—',
        met: null,
        note: `${appLate.length} ticks of ${SCENES} scenes`,
      }),
      row({
        section: '2. Latency hiding',
        metric: 'tick lateness p99 (ms)',
        value: percentile(appLate, 99),
        baseline: percentile(timerLate, 99),
        baselineLabel: 'bare timer loop, same schedule',
        ratio: null,
        target: '< 10 ms',
        met: percentile(appLate, 99) < 10,
        note: `max ${Math.max(...appLate)} ms`,
      }),
    ],
    details: `Latency hiding: the real app in its own process, ${SCENES} copies of the town square, TICK_MS ${TICK_MS}, READING_CPS ${READING_CPS}, MIN_READING_MS ${MIN_READING_MS}, LLM_MODEL=openai:fake with LLM_BASE_URL at \`bench/fakes/slow-openai.ts\` (every answer after 2 s; lines of 4–103 characters in turn) and LLM_MAX_CONCURRENCY ${LLM_CONCURRENCY} (so the limiter does not queue: this measures hiding, not capacity). ${(WINDOW_MS / 1000).toFixed(0)} s window. Gap = difference of consecutive \`conversation:line\` \`at\` of one conversation ÷ reading time of the earlier line. Baseline: ${BASELINE_LOOPS} loops that call the same fake inline and then wait the reading time, as the original design did. Tick lateness: now − scheduled time at each SceneRunner.step (ms timer resolution), against a process keeping the same ${SCENES} schedules with nothing else to do.`,
  });
} finally {
  for (const s of sockets) s.close();
  rmSync(dir, { recursive: true, force: true });
}
