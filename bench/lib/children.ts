import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Every child process a benchmark starts goes through here, so all of them are killed
 * when the suite ends, however it ends (normal exit, exception, signal).
 */
const children = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`uncaught: ${error.stack ?? error}\n`);
    killAll();
    process.exit(1);
  });
}

export function track(child: ChildProcess): ChildProcess {
  hook();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Spawns `node <script>` with an IPC channel; stderr passes through for diagnostics. */
export function spawnNode(
  script: string,
  args: string[] = [],
  options: SpawnOptions & { env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return track(
    spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      ...options,
      env: { PATH: process.env.PATH ?? '', ...options.env },
    }),
  );
}

/** Sends a request over IPC and waits for the reply carrying the same id. */
let nextId = 1;
export function request<T>(child: ChildProcess, message: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no reply to ${String(message.type)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (reply: { id?: number; error?: string } & Record<string, unknown>) => {
      if (reply?.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      if (reply.error) reject(new Error(reply.error));
      else resolve(reply as T);
    };
    child.on('message', onMessage);
    child.send({ ...message, id });
  });
}

/** Waits for the first IPC message of a given type (e.g. a server's `ready`). */
export function waitMessage<T>(child: ChildProcess, type: string, timeoutMs = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before ${type}`));
    };
    child.once('exit', onExit);
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    child.on('message', onMessage);
  });
}

export async function stop(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Serves IPC requests in a child: `handler(message)` returns the reply body. */
export function serveIpc(
  handler: (
    message: { type: string } & Record<string, unknown>,
  ) => Promise<Record<string, unknown>> | Record<string, unknown>,
): void {
  const serve = async (message: { id: number; type: string } & Record<string, unknown>) => {
    try {
      const reply = await handler(message);
      process.send?.({ ...reply, id: message.id });
    } catch (error) {
      process.send?.({ id: message.id, error: (error as Error).stack ?? String(error) });
    }
  };
  // serve() answers its own failures, so the promise is never left rejected.
  process.on('message', (message: { id: number; type: string } & Record<string, unknown>) => void serve(message));
  // The parent going away (even by kill -9) closes the channel: follow it.
  process.on('disconnect', () => process.exit(0));
}
