import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawnServer, type ServerProcess } from '../support/app.js';

/** Listens on `port` at 127.0.0.1; resolves null when something else has it. */
function occupy(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    // Whatever connects is hung up on: the port is simply not ours to use.
    const server = createServer((socket) => socket.destroy());
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * The helper that starts the built server used to pick a random port in 20000–40000 without
 * asking whether it was free (that range overlaps the kernel's ephemeral ports, so outgoing
 * connections hold some of them): about one run in three failed with EADDRINUSE. Here the
 * port it would have picked is taken on purpose.
 */
describe('spawnServer', () => {
  const servers: ServerProcess[] = [];
  let blocker: Server | null = null;
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    vi.restoreAllMocks();
  });

  it('starts on a port the OS says is free, even when a random pick would collide', async () => {
    let port = 0;
    for (let p = 20_000 + Math.floor(Math.random() * 20_000); !blocker; p = 20_000 + ((p - 20_000 + 7919) % 20_000)) {
      blocker = await occupy(p);
      port = p;
    }
    // Every random pick lands on the port that is taken.
    vi.spyOn(Math, 'random').mockReturnValue((port - 20_000) / 20_000);
    const server = await spawnServer({}, 20_000);
    servers.push(server);
    expect(new URL(server.url).port).not.toBe(String(port));
    expect((await fetch(`${server.url}/api/health/live`)).status).toBe(200);
  });
});
