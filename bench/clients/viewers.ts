/**
 * Viewers for the fan-out bench, in their own process: opens sockets at a paced rate,
 * each joins a scene, and counts what arrives. Socket 0 can record a trace of events
 * (for the bare server to replay). Driven over IPC:
 *   ← {type: 'connect', url, sceneId, count, perSecond} → {joined, failed, snapshot?}
 *   ← {type: 'window'}  starts counting: messages, and conversation:line latency (now - at)
 *   ← {type: 'collect'} → {messages, latencies, trace}
 *   ← {type: 'close'}   → {}
 */
import { io, type Socket } from 'socket.io-client';
import { serveIpc } from '../lib/children.js';
import { sleep } from '../lib/stats.js';

const sockets: Socket[] = [];
let counting = false;
let messages = 0;
let latencies: number[] = [];
let trace: { t: number; name: string; payload: unknown }[] = [];
let windowStart = 0;
/** Bounded memory: latency samples beyond this are dropped (counted in messages still). */
const MAX_SAMPLES = 500_000;

function open(url: string, sceneId: string, index: number): Promise<{ ok: boolean; snapshot?: unknown }> {
  return new Promise((resolve) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
    sockets.push(socket);
    socket.onAny((name: string, payload: { at?: number }) => {
      if (!counting) return;
      messages++;
      if (name === 'conversation:line' && typeof payload?.at === 'number' && latencies.length < MAX_SAMPLES)
        latencies.push(Date.now() - payload.at);
      if (index === 0) trace.push({ t: Date.now() - windowStart, name, payload });
    });
    socket.once('connect_error', () => resolve({ ok: false }));
    socket.once('connect', () => {
      socket
        .timeout(30_000)
        .emitWithAck('scene:join', { sceneId })
        .then((ack: { ok: boolean; snapshot?: unknown }) =>
          resolve({ ok: ack.ok, snapshot: index === 0 ? ack.snapshot : undefined }),
        )
        .catch(() => resolve({ ok: false }));
    });
  });
}

serveIpc(async (message) => {
  switch (message.type) {
    case 'connect': {
      const { url, sceneId, count, perSecond } = message as unknown as {
        url: string;
        sceneId: string;
        count: number;
        perSecond: number;
      };
      const pending: Promise<{ ok: boolean; snapshot?: unknown }>[] = [];
      const started = Date.now();
      for (let i = 0; i < count; i++) {
        // Paced: socket i opens at i / perSecond seconds, like visitors arriving, not a flood.
        const due = started + (i * 1000) / perSecond;
        if (due > Date.now()) await sleep(due - Date.now());
        pending.push(open(url, sceneId, sockets.length));
      }
      const results = await Promise.all(pending);
      return {
        joined: results.filter((r) => r.ok).length,
        failed: results.filter((r) => !r.ok).length,
        snapshot: results[0]?.snapshot ?? null,
      };
    }
    case 'window':
      messages = 0;
      latencies = [];
      trace = [];
      windowStart = Date.now();
      counting = true;
      return {};
    case 'collect':
      counting = false;
      return { messages, latencies, trace };
    case 'close':
      for (const s of sockets.splice(0)) s.close();
      return {};
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});
process.send?.({ type: 'ready' });
