/**
 * 7. Viewer: JavaScript shipped (gzip -9 of dist/frontend/assets/*.js) and time to first
 * frame in headless Chromium, against the app serving the built viewer.
 *
 * "First frame": the viewer's own `window.__pixeltales.ready` / `firstFrameAt` if it
 * exposes one; otherwise the end of the first requestAnimationFrame callback that runs
 * after a <canvas> of non-default size (not 300×150) is in the document, i.e. the first
 * frame painted at scene size. Measured in the page from navigation start.
 * Baselines: size — phaser.min.js alone, gzipped (the engine the viewer is built on);
 * first frame — a blank page with a canvas drawn in rAF, same browser, same measure.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { DIST, ROOT, writeWorld } from '../lib/fixtures.js';
import { spawnNode, stop, waitMessage } from '../lib/children.js';
import { report, row, type BenchRow } from '../lib/result.js';
import { median } from '../lib/stats.js';

const RUNS = 3;
const FRAME_TIMEOUT_MS = 15_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const PROBE = `(() => {
  const raf = window.requestAnimationFrame.bind(window);
  const sized = () => [...document.querySelectorAll('canvas')].some((c) => c.width > 0 && c.height > 0 && !(c.width === 300 && c.height === 150));
  const probe = () => raf(() => {
    const own = window.__pixeltales;
    if (own && (own.ready || own.firstFrameAt)) { window.__benchFirstFrame = own.firstFrameAt ?? performance.now(); return; }
    if (sized()) { setTimeout(() => {}, 0); window.__benchFirstFrame = performance.now(); return; }
    probe();
  });
  probe();
})();`;

const BLANK = `<!doctype html><html><body><canvas id="c" width="480" height="320"></canvas><script>
const ctx = document.getElementById('c').getContext('2d');
requestAnimationFrame(() => { ctx.fillStyle = '#5d9c4a'; ctx.fillRect(0, 0, 480, 320); });
</script></body></html>`;

const dir = mkdtempSync(join(tmpdir(), 'pixeltales-bench-viewer-'));
const rows: BenchRow[] = [];
const viewerDir = join(DIST, 'frontend');
try {
  const assets = join(viewerDir, 'assets');
  if (!existsSync(join(viewerDir, 'index.html')) || !existsSync(assets))
    throw new Error('no built viewer in dist/frontend: run npm run build:frontend');
  const jsFiles = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const gz = jsFiles.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  const phaserPath = join(ROOT, 'node_modules/phaser/dist/phaser.min.js');
  const phaserGz = existsSync(phaserPath) ? gzipSync(readFileSync(phaserPath), { level: 9 }).length : NaN;
  rows.push(
    row({
      section: '7. Viewer',
      metric: `JavaScript gzipped, ${jsFiles.length} file(s) in dist/frontend/assets (KB)`,
      value: gz / 1024,
      baseline: phaserGz / 1024,
      baselineLabel: 'phaser.min.js alone, gzipped',
      target: '≤ 450 KB',
      met: gz / 1024 <= 450,
    }),
  );

  const world = writeWorld(dir, { scenes: 1, castSize: 4 });
  const app = spawnNode(join(DIST, 'bench/servers/app-server.js'), [], {
    cwd: ROOT,
    env: {
      DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
      DATA_DIR: dir,
      SCENES_DIR: world.scenesDir,
      PROMPTS_DIR: world.promptsDir,
      LOG_LEVEL: 'error',
      BENCH_VIEWER_DIR: viewerDir,
    },
  });
  const { port } = await waitMessage<{ port: number }>(app, 'ready');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const firstFrame = async (url: string | null): Promise<number> => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const page = await context.newPage();
        await page.addInitScript(PROBE);
        // The blank page is served by the browser itself on the app's origin: same network path, no app work.
        await page.route('**/__bench_blank', (route) => route.fulfill({ contentType: 'text/html', body: BLANK }));
        await page.goto(url ?? `http://127.0.0.1:${port}/__bench_blank`, { waitUntil: 'commit' });
        await page.waitForFunction('typeof window.__benchFirstFrame === "number"', null, { timeout: FRAME_TIMEOUT_MS });
        return Number(await page.evaluate('window.__benchFirstFrame'));
      } finally {
        await context.close();
      }
    };
    const ours: number[] = [];
    const blank: number[] = [];
    // Warm the browser once (its own start-up is not the viewer's cost), then alternate.
    await firstFrame(null);
    for (let i = 0; i < RUNS; i++) {
      ours.push(await firstFrame(`http://127.0.0.1:${port}/scene/${world.sceneIds[0]}`));
      blank.push(await firstFrame(null));
    }
    process.stderr.write(
      `viewer: ${(gz / 1024).toFixed(1)} KB gz (phaser alone ${(phaserGz / 1024).toFixed(1)} KB); first frame ${ours.map((v) => v.toFixed(0)).join(', ')} ms; blank ${blank.map((v) => v.toFixed(0)).join(', ')} ms\n`,
    );
    rows.push(
      row({
        section: '7. Viewer',
        metric: `time to first frame, headless Chromium, median of ${RUNS} (ms)`,
        value: median(ours),
        baseline: median(blank),
        baselineLabel: 'blank page with a canvas',
        target: '< 1,500 ms',
        met: median(ours) < 1_500,
        note: `runs: ${ours.map((v) => v.toFixed(0)).join(', ')} ms`,
      }),
    );
  } finally {
    await browser.close();
    await stop(app);
  }
} catch (error) {
  process.stderr.write(`viewer: ${(error as Error).message}\n`);
  rows.push(
    row({
      section: '7. Viewer',
      metric: `not measured: ${(error as Error).message.split('\n')[0]}`,
      value: NaN,
      baseline: null,
      baselineLabel: '—',
      target: '< 1,500 ms',
      met: false,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report({
  suite: 'viewer',
  rows,
  details:
    'Viewer: size is gzip -9 of every dist/frontend/assets/*.js as `npm run build:frontend` left it. Time to first frame: the app (own process) serving dist/frontend, headless Chromium (/usr/bin/chromium through playwright-core, the usual flags), a fresh context per run, page /scene/<id>, measured in the page from navigation start. First frame = `window.__pixeltales.firstFrameAt` (or the rAF after `window.__pixeltales.ready`) when the viewer sets them, else the first requestAnimationFrame after a canvas of non-default size exists. Baseline: a blank page that draws a canvas in its first rAF, same measure.',
});
