import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startApp, type RunningApp } from '../support/app.js';
import { copyPrompts } from '../support/prompts.js';

const TOKEN = 'author-token-for-browser-tests-42';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('the /author page in Chromium', () => {
  let running: RunningApp;
  let prompts: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    prompts = copyPrompts();
    running = await startApp({ viewer: true, env: { PROMPTS_DIR: prompts, AUTHOR_TOKEN: TOKEN } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await running?.close();
    rmSync(join(prompts, '..'), { recursive: true, force: true });
  });

  it('asks for the token once and keeps it', async () => {
    await page.goto(`${running.url}/author`);
    await page.getByTestId('token-input').fill('wrong-token-0000000000');
    await page.getByTestId('token-submit').click();
    await expect.poll(() => page.getByTestId('token-input').isVisible()).toBe(true);
    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('character-mara').waitFor();
    expect(await page.evaluate("localStorage.getItem('pixeltales.authorToken')")).toBe(TOKEN);
    await page.reload();
    await page.getByTestId('character-mara').waitFor();
    expect(await page.getByTestId('token-input').count()).toBe(0);
    expect(await page.getByTestId('scene-town-square').textContent()).toContain('running');
  });

  it('changes a persona, saves, previews a line, and restores the previous version', async () => {
    const path = join(prompts, 'characters', 'mara.md');
    const original = readFileSync(path, 'utf8');
    await page.getByTestId('character-mara').click();
    const persona = page.getByTestId('input-persona');
    await persona.waitFor();
    expect(await persona.inputValue()).toContain('Mara');
    // The sprite is drawn from the palette, live as a colour changes.
    const shirtPixel = () =>
      page.getByTestId('sprite-preview').evaluate((c) =>
        Array.from(
          (
            c as unknown as {
              getContext(t: '2d'): {
                getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
              };
            }
          )
            .getContext('2d')
            .getImageData(6 * 6 + 2, 9 * 6 + 2, 1, 1)
            .data.slice(0, 3),
        ),
      );
    await page.getByTestId('input-sprite-shirt').fill('#ff0000');
    await expect.poll(shirtPixel).toEqual([255, 0, 0]);

    // A bad value comes back from the server beside its field.
    await page.getByTestId('input-temperature').fill('7');
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('error-temperature').textContent()).toMatch(/temperature/);
    expect(readFileSync(path, 'utf8')).toBe(original);
    await page.getByTestId('input-temperature').fill('');

    await persona.fill('Mara now sells <b>kites</b> by the harbour and hums sea shanties.');
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('status').textContent()).toContain('Saved');
    const saved = readFileSync(path, 'utf8');
    expect(saved).toContain('Mara now sells <b>kites</b> by the harbour');
    expect(saved).toContain('shirt: "#ff0000"');
    expect(
      (await json(await fetch(`${running.url}/api/characters/mara`, { headers: { authorization: `Bearer ${TOKEN}` } })))
        .persona,
    ).toContain('sells <b>kites</b>');
    // Text is text: the author's markup is not turned into elements.
    expect(await page.getByTestId('input-persona').inputValue()).toContain('<b>kites</b>');

    await page.getByTestId('preview-situation').fill('A gust of wind lifts the kites.');
    await page.getByTestId('preview').click();
    const line = page.getByTestId('preview-text');
    await line.waitFor();
    expect((await line.textContent())!.trim().length).toBeGreaterThan(3);
    expect(await page.getByTestId('preview-output').textContent()).toMatch(/tokens · \d+ ms/);

    // History: the original is v1, the edit is live. Diff, then restore v1.
    await page.getByTestId('version-1').waitFor();
    await page.getByTestId('diff-1').click();
    expect(await page.getByTestId('diff').textContent()).toContain('+ Mara now sells <b>kites</b>');
    await page.getByTestId('restore-1').click();
    await expect.poll(() => page.getByTestId('status').textContent()).toContain('Restored v1');
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(await page.getByTestId('input-persona').inputValue()).not.toContain('kites');
    const mara = await json(
      await fetch(`${running.url}/api/characters/mara`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(mara.persona).not.toContain('kites');
    await page.getByTestId('version-3').waitFor();
    expect(await page.locator('b').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('creates and deletes a character, and pauses and resumes a scene', async () => {
    await page.getByTestId('new-character').click();
    await page.getByTestId('input-id').fill('pip');
    await page.getByTestId('input-name').fill('Pip');
    await page.getByTestId('input-persona').fill('Pip delivers parcels.');
    await page.getByTestId('save').click();
    await page.getByTestId('character-pip').waitFor();
    expect(readFileSync(join(prompts, 'characters', 'pip.md'), 'utf8')).toContain('Pip delivers parcels.');
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('delete').click();
    await expect.poll(() => page.getByTestId('character-pip').count()).toBe(0);
    expect(() => readFileSync(join(prompts, 'characters', 'pip.md'))).toThrow();

    await page.getByTestId('scene-toggle-town-square').click();
    await expect.poll(() => page.getByTestId('scene-town-square').textContent()).toContain('paused');
    expect((await json(await fetch(`${running.url}/api/scenes/town-square`))).status).toBe('paused');
    await page.getByTestId('scene-toggle-town-square').click();
    await expect.poll(() => page.getByTestId('scene-town-square').textContent()).toContain('running');
  });
});
