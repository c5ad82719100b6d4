import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startApp, type RunningApp } from '../support/app.js';

const ASSETS = join(ROOT, 'dist/frontend/assets');

describe('the built viewer does not publish its source maps', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp({ viewer: true });
  });
  afterAll(() => running?.close());

  it('bundles carry no sourceMappingURL and a .map that exists on disk is not served', async () => {
    const index = await (await fetch(`${running.url}/`)).text();
    const scripts = [...index.matchAll(/src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const path of scripts) {
      const res = await fetch(`${running.url}${path}`);
      expect(res.status).toBe(200);
      expect(/sourceMappingURL/.test(await res.text()), `${path} names its source map`).toBe(false);
    }
    // Maps are still built (for error reporting tools), only never served.
    const maps = readdirSync(ASSETS).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      expect(existsSync(join(ASSETS, map))).toBe(true);
      const res = await fetch(`${running.url}/assets/${map}`);
      expect(res.status).toBe(404);
    }
  });
});
