/**
 * 4. Bandwidth: bytes per viewer per second at steady state, one scene of 8 characters at
 * the default pace, counted as raw bytes read from the viewer's TCP socket (websocket
 * frames, headers included, pings too).
 *
 * Baseline: the same stream if every tick sent a full snapshot of all 8 characters instead
 * of the changed ones: the bytes actually received minus the scene:tick frames, plus one
 * full scene:tick frame per tick, sized exactly as socket.io would frame it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket as NetSocket } from 'node:net';
import { io } from 'socket.io-client';
import { DIST, ROOT, writeWorld } from '../lib/fixtures.js';
import { spawnNode, stop, waitMessage } from '../lib/children.js';
import { report, row } from '../lib/result.js';
import { fmt, sleep } from '../lib/stats.js';

const TICK_MS = 500;
const WARMUP_MS = 5_000;
const WINDOW_MS = 30_000;
const TARGET_BYTES_PER_S = 300;

/** Bytes of one server→client websocket frame carrying `payload` (unmasked). */
const frameBytes = (payload: string) => {
  const n = Buffer.byteLength(payload);
  return n + (n < 126 ? 2 : n < 65_536 ? 4 : 10);
};

const dir = mkdtempSync(join(tmpdir(), 'pixeltales-bench-bandwidth-'));
try {
  const world = writeWorld(dir, { scenes: 1, castSize: 8 });
  const app = spawnNode(join(DIST, 'bench/servers/app-server.js'), [], {
    cwd: ROOT,
    env: {
      DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
      DATA_DIR: dir,
      SCENES_DIR: world.scenesDir,
      PROMPTS_DIR: world.promptsDir,
      LOG_LEVEL: 'error',
      TICK_MS: String(TICK_MS),
    },
  });
  const { port } = await waitMessage<{ port: number }>(app, 'ready');
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(10_000).emitWithAck('scene:join', { sceneId: world.sceneIds[0] })) as {
    snapshot: { characters: Record<string, unknown>[] };
  };
  const state = new Map<string, Record<string, unknown>>();
  for (const c of ack.snapshot.characters)
    state.set(String(c.id), { id: c.id, x: c.x, y: c.y, direction: c.direction, action: c.action, mood: c.mood });
  let counting = false;
  let tickFrameBytes = 0;
  let tickFrames = 0;
  let lastTick = 0;
  let fullTickFrameBytes = 0;
  socket.on('scene:tick', (payload: { sceneId: string; tick: number; characters: Record<string, unknown>[] }) => {
    for (const c of payload.characters) state.set(String(c.id), { ...state.get(String(c.id)), ...c });
    if (!counting) return;
    tickFrames++;
    tickFrameBytes += frameBytes(`42${JSON.stringify(['scene:tick', payload])}`);
    lastTick = payload.tick;
  });
  // The raw TCP socket under engine.io's websocket: every byte the viewer received.
  const raw = () => (socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
  await sleep(WARMUP_MS);
  const bytes0 = raw().bytesRead;
  counting = true;
  const started = Date.now();
  // Full-snapshot baseline: what each tick of the window would weigh with all characters.
  const fullTimer = setInterval(() => {
    fullTickFrameBytes += frameBytes(
      `42${JSON.stringify(['scene:tick', { sceneId: world.sceneIds[0], tick: lastTick, characters: [...state.values()] }])}`,
    );
  }, TICK_MS);
  await sleep(WINDOW_MS);
  clearInterval(fullTimer);
  counting = false;
  const seconds = (Date.now() - started) / 1000;
  const bytes = raw().bytesRead - bytes0;
  socket.close();
  await stop(app);
  const perS = bytes / seconds;
  const fullPerS = (bytes - tickFrameBytes + fullTickFrameBytes) / seconds;
  process.stderr.write(
    `bandwidth: ${fmt(perS)} B/s (${bytes} B in ${seconds.toFixed(1)} s; scene:tick ${tickFrames} frames, ${tickFrameBytes} B); full snapshots ${fmt(fullPerS)} B/s\n`,
  );
  report({
    suite: 'bandwidth',
    rows: [
      row({
        section: '4. Bandwidth',
        metric: 'bytes / viewer / s, scene of 8 characters, steady state',
        value: perS,
        baseline: fullPerS,
        baselineLabel: 'full snapshot of all 8 every tick',
        target: `≤ ${TARGET_BYTES_PER_S} B/s`,
        met: perS <= TARGET_BYTES_PER_S,
        note: `scene:tick is ${fmt((tickFrameBytes / bytes) * 100)}% of the bytes (${tickFrames} frames in ${seconds.toFixed(0)} s)`,
      }),
    ],
    details: `Bandwidth: the real app (own process), one town square with 8 characters (the 4 demo characters and 4 clones), default pace (TICK_MS ${TICK_MS}, READING_CPS 15, offline model). One socket.io-client viewer (websocket transport); after ${WARMUP_MS / 1000} s of warm-up, the bytes read from its TCP socket over ${WINDOW_MS / 1000} s (frames with their headers, every event, pings). Baseline: the same received bytes with every scene:tick frame replaced by a full snapshot of all 8 characters every tick, framed as socket.io frames it.`,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
