import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../backend/src/bootstrap.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Fast pacing so tests see many lines quickly; everything else as in production. */
export const FAST_ENV: Record<string, string> = {
  TICK_MS: '50',
  READING_CPS: '400',
  MIN_READING_MS: '150',
  LOG_LEVEL: 'error',
  PROMPTS_DIR: join(ROOT, 'prompts'),
  SCENES_DIR: join(ROOT, 'data/scenes'),
  // Tests hammer one app from one address; the rate-limit tests set their own small limits.
  RATE_LIMIT_READS_PER_MINUTE: '1000000',
  RATE_LIMIT_AUTHOR_PER_MINUTE: '1000000',
  RATE_LIMIT_PREVIEWS_PER_MINUTE: '1000000',
  RATE_LIMIT_SOCKET_EVENTS_PER_10S: '1000000',
};

export interface RunningApp {
  app: NestExpressApplication;
  url: string;
  dir: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'pixeltales-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Boots the real app in-process on an ephemeral port with a fresh SQLite file. */
export async function startApp(
  options: { env?: Record<string, string>; dir?: string; viewer?: boolean; port?: number } = {},
): Promise<RunningApp> {
  const dir = options.dir ?? tempDir();
  const env = { ...FAST_ENV, DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'test.sqlite')}`, ...options.env };
  const app = await createApp({ env, viewerDir: options.viewer ? join(ROOT, 'dist/frontend') : null });
  await app.listen(options.port ?? 0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    dir,
    env,
    close: async () => {
      await app.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGKILL: no shutdown hook runs, as in a crash. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A port the OS reports free: it binds port 0 the way the server will (all interfaces) and
 * hands back what it got. Guessing a port (a random one in 20000–40000 used to be picked)
 * collides with ports in use, and that range overlaps the kernel's ephemeral ports.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs the built server (`dist/`) as a child process, as `npm start` would, and waits for
 * health. Without a PORT in `env` it gets a free one from the OS; should another process
 * take it in between (EADDRINUSE), it starts again on another.
 */
export async function spawnServer(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await spawnOnce(env, env.PORT ?? String(await freePort()), timeoutMs);
    } catch (error) {
      if (env.PORT || attempt >= 2 || !/EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

async function spawnOnce(env: Record<string, string>, port: string, timeoutMs: number): Promise<ServerProcess> {
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'dist/backend/src/main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...FAST_ENV, ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not healthy within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => out,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  intervalMs = 25,
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value as Exclude<T, false | undefined | null>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GET and parse JSON; tests assert on the shape, so the type is theirs to state. */
export async function getJson<T = any>(url: string, init?: RequestInit): Promise<T> {
  return (await (await fetch(url, init)).json()) as T;
}

/** A response's JSON; tests assert on the shape, so the type is theirs to state. */
export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
