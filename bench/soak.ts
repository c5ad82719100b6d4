/**
 * Soak run (not part of `npm test`): `npm run soak -- --minutes N --viewers M [--url URL]`.
 * Without --url it starts the built server as a child process on a fresh SQLite file.
 * M socket.io viewers join the scenes and stay; every sample interval the script reads
 * the server's own memory from /metrics and prints a row; at the end, a summary with the
 * memory growth, lines received and disconnects. Exits 1 if a viewer was dropped for good.
 */
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    viewers: { type: 'string', default: '50' },
    url: { type: 'string' },
    'sample-seconds': { type: 'string', default: '10' },
  },
});
const minutes = Number(values.minutes);
const viewerCount = Number(values.viewers);
const sampleMs = Number(values['sample-seconds']) * 1000;
if (!(minutes > 0) || !(viewerCount > 0) || !(sampleMs > 0)) {
  process.stderr.write(
    'usage: npm run soak -- --minutes N --viewers M [--url http://host:port] [--sample-seconds S]\n',
  );
  process.exit(2);
}

const ROOT = resolve(import.meta.dirname, '../..');

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'pixeltales-soak-'));
  // A port the OS says is free (a random guess collides with ports in use).
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [join(ROOT, 'dist/backend/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'soak.sqlite')}`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_SOCKET_EVENTS_PER_10S: '1000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return { url, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become healthy within 30 s');
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const server = values.url ? { url: values.url, child: null } : await startServer();
  const scenes = ((await (await fetch(`${server.url}/api/scenes`)).json()) as { id: string }[]).map((s) => s.id);
  let lines = 0;
  let disconnects = 0;
  let reconnects = 0;
  const viewers: Socket[] = [];
  for (let i = 0; i < viewerCount; i++) {
    const sceneId = scenes[i % scenes.length];
    const socket = io(server.url, { transports: ['websocket'], forceNew: true });
    socket.on('connect', () => socket.emit('scene:join', { sceneId }, () => undefined));
    socket.io.on('reconnect', () => (reconnects += 1));
    socket.on('disconnect', () => (disconnects += 1));
    socket.on('conversation:line', () => (lines += 1));
    viewers.push(socket);
  }

  const rows: { minute: string; rssMb: string; heapMb: string; viewers: number; lines: number; disconnects: number }[] =
    [];
  const started = Date.now();
  const sample = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const row = {
      minute: ((Date.now() - started) / 60_000).toFixed(1),
      rssMb: mb(metric(text, 'process_resident_memory_bytes')),
      heapMb: mb(metric(text, 'nodejs_heap_size_used_bytes')),
      viewers: viewers.filter((v) => v.connected).length,
      lines,
      disconnects,
    };
    rows.push(row);
    process.stdout.write(
      `${row.minute.padStart(6)} min  rss ${row.rssMb.padStart(7)} MB  heap ${row.heapMb.padStart(7)} MB  viewers ${row.viewers}/${viewerCount}  lines ${row.lines}  disconnects ${row.disconnects}\n`,
    );
  };
  await sample();
  const timer = setInterval(
    () => void sample().catch((e: Error) => process.stderr.write(`sample failed: ${e.message}\n`)),
    sampleMs,
  );
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  clearInterval(timer);
  await sample();

  const first = rows[0];
  const last = rows[rows.length - 1];
  const connected = viewers.filter((v) => v.connected).length;
  process.stdout.write(
    `\nsoak: ${minutes} min, ${viewerCount} viewers: rss ${first.rssMb} -> ${last.rssMb} MB, heap ${first.heapMb} -> ${last.heapMb} MB, ` +
      `${lines} lines received, ${disconnects} disconnects, ${reconnects} reconnects, ${connected}/${viewerCount} connected at the end\n`,
  );
  for (const v of viewers) v.close();
  if (server.child) {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
  process.exit(connected === viewerCount ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${(error as Error).message}\n`);
  process.exit(1);
});
