// Takes docs/screenshot.png: boots the built app (node dist/backend/src/main.js) with
// production pacing and a throw-away database, opens the live view in headless Chromium
// at 1280×800 and waits until characters are talking.
//
//   npm run build && node scripts/screenshot.mjs [--out docs/screenshot.png] [--path /scene/town-square]
//        [--width 1280 --height 800] [--bubbles 2] [--timeout 120] [--zoom N] [--url http://host:port]
//
// With --url it shoots a server that is already running instead of booting one.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (pairs, arg, i, all) =>
        arg.startsWith('--')
          ? [...pairs, [arg.slice(2), all[i + 1]?.startsWith('--') ? 'true' : (all[i + 1] ?? 'true')]]
          : pairs,
      [],
    ),
);
const out = resolve(ROOT, args.out ?? 'docs/screenshot.png');
const path = args.path ?? '/scene/town-square';
const width = Number(args.width ?? 1280);
const height = Number(args.height ?? 800);
const wantBubbles = Number(args.bubbles ?? 2);
const timeoutMs = Number(args.timeout ?? 120) * 1000;

async function boot() {
  const dir = mkdtempSync(join(tmpdir(), 'pixeltales-shot-'));
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const child = spawn(process.execPath, [join(ROOT, 'dist/backend/src/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: port,
      DATA_DIR: dir,
      SCENES_DIR: join(ROOT, 'data/scenes'),
      PROMPTS_DIR: join(ROOT, 'prompts'),
      DATABASE_URL: `sqlite:${join(dir, 'shot.sqlite')}`,
      AUTHOR_TOKEN: 'screenshot-only-token',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${log}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server not healthy:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const server = args.url ? { url: args.url, stop: async () => {} } : await boot();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: Number(args.scale ?? 1) });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('console', (m) => m.type() === 'error' && console.error('console:', m.text()));
  await page.goto(`${server.url}${path}`);
  if (path.startsWith('/scene/')) {
    await page.waitForFunction(() => window.__pixeltales?.state().renderer, null, { timeout: 30_000 });
    if (args.zoom)
      await page.evaluate((z) => {
        for (let i = 0; i < 8; i++) document.querySelector('.zoom-out').click();
        for (let i = 1; i < z; i++) document.querySelector('.zoom-in').click();
      }, Number(args.zoom));
    if (args.select) await page.click(`.cast-member[data-character-id="${args.select}"]`);
    const start = Date.now();
    let best = 0;
    while (Date.now() - start < timeoutMs) {
      const s = await page.evaluate(() => window.__pixeltales.state());
      const speech = s.bubbles.filter((b) => b.kind === 'speech').length;
      best = Math.max(best, speech);
      if (speech >= wantBubbles && s.transcript.length >= 3) break;
      await page.waitForTimeout(250);
    }
    await page.waitForTimeout(Number(args.settle ?? 400));
    console.log(`bubbles: ${best}`);
  } else {
    await page.waitForTimeout(Number(args.settle ?? 1500));
  }
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.stop();
}
