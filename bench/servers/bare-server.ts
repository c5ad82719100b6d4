/**
 * Baseline for fan-out: a bare socket.io 4.8.3 server. Viewers join a room with the same
 * `scene:join` ack (answered with a recorded snapshot), and on request it replays a
 * recorded trace of the app's events, same payloads at the same times, to that room;
 * `conversation:line` payloads get `at` = now, so latency is measured the same way.
 *   ← {type: 'replay', trace, snapshot} → {} once scheduled
 *   ← {type: 'cpu'} → {cpuMs}
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { serveIpc } from '../lib/children.js';
import { cpuMs } from '../lib/stats.js';

interface TraceEvent {
  t: number;
  name: string;
  payload: Record<string, unknown>;
}

let snapshot: unknown = null;
const http = createServer();
// Same options as the app's adapter (ConfiguredIoAdapter), so only the app's own work differs.
const io = new Server(http, { maxHttpBufferSize: 16 * 1024, pingInterval: 25_000, pingTimeout: 20_000 });
io.on('connection', (socket) => {
  socket.on('scene:join', async (body: { sceneId: string }, ack: (r: unknown) => void) => {
    await socket.join(`scene:${body.sceneId}`);
    ack({ ok: true, snapshot });
  });
});
const timers = new Set<NodeJS.Timeout>();
serveIpc((message) => {
  switch (message.type) {
    case 'snapshot':
      snapshot = message.snapshot;
      return {};
    case 'replay': {
      const trace = message.trace as TraceEvent[];
      const start = Date.now();
      for (const event of trace) {
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            const payload = event.name === 'conversation:line' ? { ...event.payload, at: Date.now() } : event.payload;
            io.to(`scene:${String(event.payload.sceneId)}`).emit(event.name, payload);
          },
          Math.max(0, event.t - (Date.now() - start)),
        );
        timers.add(timer);
      }
      return {};
    }
    case 'cpu':
      return { cpuMs: cpuMs() };
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});
http.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (http.address() as { port: number }).port }));
