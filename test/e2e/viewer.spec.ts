/// <reference lib="dom" />
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinePayload } from '../../backend/src/contract/events.js';
import { ROOT, getJson, startApp, tempDir, waitFor, type RunningApp } from '../support/app.js';

/**
 * The viewer in a real browser (Debian's Chromium driven by playwright-core) against the
 * built app: scene browser, a canvas that is really drawn, bubbles, a transcript that
 * matches the API, and a server restart the page lives through without duplicate lines.
 * Needs `npm run build:frontend` first (`npm test` builds).
 */

const SCENE = 'town-square';
const ARTIFACTS = join(ROOT, 'test-results');
const ENV = { AUTHOR_TOKEN: 'viewer-e2e-author-token-0000' };

/** What the viewer exposes as `window.__pixeltales.state()` (frontend/src/live/view.ts). */
interface PageRect {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface DebugState {
  sceneId: string;
  connection: 'connecting' | 'live' | 'reconnecting' | 'offline';
  joins: number;
  tick: number;
  renderer: string | null;
  zoom: number;
  selected: string | null;
  transcript: number[];
  bubbles: { kind: 'speech' | 'thinking'; lineId: number | null; characterId: string; text: string; page: PageRect }[];
  characters: {
    id: string;
    name: string;
    x: number;
    y: number;
    action: string;
    mood: string;
    page: { x: number; y: number } | null;
  }[];
}

interface Logged {
  at: number;
  text: string;
}

const state = (page: Page): Promise<DebugState> =>
  page.evaluate(() => (window as unknown as { __pixeltales: { state(): DebugState } }).__pixeltales.state());

/** The transcript as the page shows it: ids and texts, in page order. */
const transcriptRows = (page: Page) =>
  page.$$eval('.transcript .line', (rows) =>
    rows.map((r) => ({
      id: Number((r as HTMLElement).dataset.lineId),
      text: r.querySelector('.text')?.textContent ?? '',
      who: r.querySelector('.who')?.textContent ?? '',
    })),
  );

async function allLines(url: string): Promise<LinePayload[]> {
  const all: LinePayload[] = [];
  let before: number | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await getJson<LinePayload[]>(
      `${url}/api/scenes/${SCENE}/lines?limit=200${before ? `&before=${before}` : ''}`,
    );
    all.push(...page);
    if (page.length < 200) break;
    before = page[page.length - 1].lineId;
  }
  return all;
}

/** Counts distinct colours of a PNG by decoding it in the browser. */
async function distinctColours(page: Page, png: Buffer): Promise<{ colours: number; width: number; height: number }> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return { colours: seen.size, width: c.width, height: c.height };
  }, png.toString('base64'));
}

describe('viewer (browser e2e)', () => {
  const dir = tempDir('pixeltales-viewer-');
  let app: RunningApp | null = null;
  let port = 0;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: Logged[] = [];
  // The server is down between these two instants; the browser may log failed connections then.
  const outage = { from: Infinity, to: Infinity };

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/frontend/index.html')))
      throw new Error('No built viewer: run `npm run build:frontend` first');
    app = await startApp({ viewer: true, dir, env: ENV });
    port = Number(new URL(app.url).port);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
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
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push({ at: Date.now(), text: m.text() });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the demo scene at / with its name, description, cast and visitor count', async () => {
    await page.goto(`${app!.url}/`);
    const card = page.locator(`.scene-card[data-scene-id="${SCENE}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.locator('.scene-title').textContent()).toBe('Town Square');
    expect(await card.locator('.description').textContent()).toMatch(/town square/i);
    const cast = await card.locator('.cast-chips li').allTextContents();
    expect(cast).toEqual(expect.arrayContaining(['Mara', 'Tobias', 'Juniper', 'Otto']));
    expect(await card.locator('.visitors').textContent()).toMatch(/^\d+ viewers? watching$/);
    // The map thumbnail is drawn.
    await card.locator('canvas.map-thumb').waitFor({ timeout: 10_000 });
    expect(await card.locator('a').getAttribute('href')).toBe(`/scene/${SCENE}`);
  });

  it(
    'draws the scene, shows speech bubbles and a transcript that matches /lines; a click opens a card',
    { timeout: 50_000 },
    async () => {
      await page.goto(`${app!.url}/scene/${SCENE}`);
      await page.waitForFunction(() => '__pixeltales' in window, null, { timeout: 10_000 });
      await waitFor(
        async () => {
          const s = await state(page);
          return s.connection === 'live' && s.renderer !== null;
        },
        15_000,
        'the live view to connect and draw',
      );
      expect(await page.locator('.scene-name').textContent()).toBe('Town Square');
      expect(await page.locator('.transcript').getAttribute('aria-live')).toBe('polite');

      // The canvas is really painted: many distinct colours, not a blank or single-colour box.
      await page.waitForTimeout(300);
      const shot = await page.locator('.canvas-box canvas').screenshot();
      const pixels = await distinctColours(page, shot);
      expect(pixels.width).toBeGreaterThan(600);
      expect(pixels.colours).toBeGreaterThan(40);

      // Within 30 s somebody speaks: a bubble in the DOM, also in the page's own state, and
      // (checked against the API below) with that line's text. Read in one go: bubbles come and go.
      const bubble = await waitFor(
        () =>
          page.evaluate(() => {
            const node = document.querySelector<HTMLElement>('.bubble[data-line-id]');
            if (!node) return null;
            const lineId = Number(node.dataset.lineId);
            const text = node.querySelector('.text')?.textContent ?? '';
            const known = (window as unknown as { __pixeltales: { state(): DebugState } }).__pixeltales.state().bubbles;
            return {
              lineId,
              text,
              characterId: node.dataset.characterId ?? '',
              inState: known.some((b) => b.kind === 'speech' && b.lineId === lineId && b.text === text),
            };
          }),
        30_000,
        'a speech bubble',
      );
      expect(bubble.inState).toBe(true);
      expect(bubble.text.length).toBeGreaterThan(0);

      // Bubbles never cover each other, and stay inside the stage.
      const stage = (await page.locator('.stage').boundingBox())!;
      for (let i = 0; i < 12; i++) {
        const { bubbles } = await state(page);
        for (const b of bubbles) {
          expect(b.page.x).toBeGreaterThanOrEqual(stage.x);
          expect(b.page.y).toBeGreaterThanOrEqual(stage.y);
          expect(b.page.x + b.page.w).toBeLessThanOrEqual(stage.x + stage.width + 0.5);
          expect(b.page.y + b.page.h).toBeLessThanOrEqual(stage.y + stage.height + 0.5);
        }
        for (const [i1, a] of bubbles.entries()) {
          for (const b of bubbles.slice(i1 + 1)) {
            const apart =
              a.page.x + a.page.w <= b.page.x ||
              b.page.x + b.page.w <= a.page.x ||
              a.page.y + a.page.h <= b.page.y ||
              b.page.y + b.page.h <= a.page.y;
            expect(apart, `bubbles ${a.characterId} and ${b.characterId} overlap`).toBe(true);
          }
        }
        await page.waitForTimeout(150);
      }

      // The transcript holds what the API has, word for word, each line once.
      await waitFor(async () => (await transcriptRows(page)).length >= 3, 20_000, 'three transcript lines');
      const rows = await transcriptRows(page);
      const api = new Map((await allLines(app!.url)).map((l) => [l.lineId, l]));
      expect(api.get(bubble.lineId)?.text).toBe(bubble.text);
      expect(api.get(bubble.lineId)?.characterId).toBe(bubble.characterId);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      for (const row of rows) {
        expect(api.get(row.id)?.text, `line ${row.id}`).toBe(row.text);
      }
      expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));

      // Clicking the middle of a character on the canvas opens their card. The scene is
      // paused first so nobody walks between reading a position and clicking it (at test
      // pace a slow frame is a tile of walking), and the positions are read once the
      // camera is at rest. Hit-testing picks the nearest body (pick.ts), so a neighbour's
      // overlapping box cannot take the click.
      const author = { authorization: `Bearer ${ENV.AUTHOR_TOKEN}` };
      expect((await fetch(`${app!.url}/api/scenes/${SCENE}/pause`, { method: 'POST', headers: author })).status).toBe(
        200,
      );
      const card = page.locator('.card');
      let clicked: string | null = null;
      for (let attempt = 0; attempt < 20 && !clicked; attempt++) {
        const first = await state(page);
        await page.waitForTimeout(200);
        const second = await state(page);
        // The camera eases towards its target (it never lands exactly) and a sprite bobs a
        // pixel or two as it animates: at rest means at most 3 px apart between the reads,
        // far less than the distance between two characters' centres.
        const still = second.characters.every((c) => {
          const before = first.characters.find((b) => b.id === c.id)?.page ?? null;
          if (!before || !c.page) return before === c.page;
          return Math.abs(before.x - c.page.x) <= 3 && Math.abs(before.y - c.page.y) <= 3;
        });
        const target = second.characters.find((c) => c.page !== null);
        if (!still || !target) continue;
        await page.mouse.click(target.page!.x, target.page!.y);
        await card.waitFor({ state: 'visible', timeout: 2_000 });
        expect(await card.getAttribute('data-character-id'), 'the card of the character clicked').toBe(target.id);
        clicked = target.id;
      }
      expect(clicked, 'a click on a character opens the card').not.toBeNull();
      expect(await card.getAttribute('data-character-id')).toBe(clicked);
      expect((await state(page)).selected).toBe(clicked);
      const shown = await card.getAttribute('data-character-id');
      const character = (await state(page)).characters.find((c) => c.id === shown)!;
      expect(await card.locator('.card-name').textContent()).toBe(character.name);
      expect(await card.locator('.traits li').count()).toBeGreaterThan(0);
      expect(await card.locator('.card-mood').textContent()).toBeTruthy();
      await card.locator('.close').click();
      await card.waitFor({ state: 'hidden', timeout: 2_000 });
      // The cast list opens the same card, from the keyboard too.
      await page.click('.cast-member[data-character-id="otto"]');
      await card.waitFor({ state: 'visible', timeout: 2_000 });
      expect(await card.locator('.card-name').textContent()).toBe('Otto');
      await page.keyboard.press('Escape');
      await card.waitFor({ state: 'hidden', timeout: 2_000 });
      expect((await fetch(`${app!.url}/api/scenes/${SCENE}/resume`, { method: 'POST', headers: author })).status).toBe(
        200,
      );
    },
  );

  it('lives through a server restart: re-joins, fills the gap, no duplicate lines', { timeout: 60_000 }, async () => {
    const before = await state(page);
    const maxBefore = Math.max(...before.transcript);
    expect(before.joins).toBeGreaterThanOrEqual(1);

    outage.from = Date.now();
    await app!.close();
    app = null;
    await waitFor(
      async () => (await state(page)).connection !== 'live',
      10_000,
      'the page to notice the server is gone',
    );
    expect(await page.locator('.conn').getAttribute('data-state')).not.toBe('live');
    // The page stays cut off for a while after the server is back, so that lines are said
    // that it never received live: they must come from the gap fill.
    await page.context().setOffline(true);
    app = await startApp({ viewer: true, dir, port, env: ENV });
    // ...including lines of a conversation that has ended, which no snapshot carries any more.
    await waitFor(
      async () => {
        const active = new Set(
          (await getJson<{ conversations: { id: string }[] }>(`${app!.url}/api/scenes/${SCENE}`)).conversations.map(
            (c) => c.id,
          ),
        );
        return (await allLines(app!.url)).some((l) => l.lineId > maxBefore && !active.has(l.conversationId));
      },
      30_000,
      'a whole conversation said while the page was away',
    );
    await page.context().setOffline(false);
    outage.to = Date.now() + 8_000;

    await waitFor(
      async () => {
        const s = await state(page);
        return s.connection === 'live' && s.joins > before.joins;
      },
      20_000,
      'the page to re-join',
    );
    await waitFor(
      async () => (await state(page)).transcript.some((id) => id > maxBefore),
      30_000,
      'new lines after the restart',
    );
    // Give live lines and the gap fill a moment to interleave, then compare with the API.
    await page.waitForTimeout(1000);

    const rows = await transcriptRows(page);
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(Math.max(...ids)).toBeGreaterThan(maxBefore);
    const api = await allLines(app.url);
    const byId = new Map(api.map((l) => [l.lineId, l]));
    for (const row of rows) expect(byId.get(row.id)?.text, `line ${row.id}`).toBe(row.text);
    // No gap: every stored line between the first and last shown is shown.
    const lo = Math.min(...ids);
    const hi = Math.max(...ids);
    const missing = api.filter((l) => l.lineId >= lo && l.lineId <= hi && !ids.includes(l.lineId)).map((l) => l.lineId);
    expect(missing).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'viewer.png') });
  });

  it('had no page errors, and console errors only for failed connections while the server was away', () => {
    expect(pageErrors).toEqual([]);
    const unexpected = consoleErrors.filter(
      (e) =>
        !(
          e.at >= outage.from &&
          e.at <= outage.to &&
          /ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed|Failed to load resource/i.test(
            e.text,
          )
        ),
    );
    expect(unexpected.map((e) => e.text)).toEqual([]);
  });
});
