import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { startApp, type RunningApp } from '../support/app.js';
import { copyPrompts } from '../support/prompts.js';

const HOSTILE_NAME = 'Mara <img src=x onerror="window.__xss=1">';
const HOSTILE_LINE = '<script>window.__xss=2</script><b>bold</b> & <img src=y onerror="window.__xss=3"> hello';

/** A provider whose every line is markup and script. */
class HostileOpenAi extends FakeOpenAiServer {
  protected override nextLine() {
    return { say: HOSTILE_LINE, emotion: 'happy', action: null, endConversation: false };
  }
}

describe('text safety in the viewer', () => {
  let fake: HostileOpenAi;
  let running: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    const prompts = copyPrompts();
    const file = join(prompts, 'characters', 'mara.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^name:.*$/m, `name: '${HOSTILE_NAME}'`));
    fake = await new HostileOpenAi().start();
    running = await startApp({
      viewer: true,
      env: {
        PROMPTS_DIR: prompts,
        LLM_MODEL: 'openai:fake-gpt',
        LLM_BASE_URL: fake.baseUrl,
        LLM_API_KEY: 'sk-text-safety-0000000000',
      },
    });
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
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await fake?.close();
  });

  it(
    'renders names and lines holding HTML or script as text, in the scene list and the live view',
    { timeout: 60_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));

      await page.goto(`${running.url}/`);
      await page.waitForFunction((name) => document.body.innerText.includes(name), HOSTILE_NAME, { timeout: 15_000 });

      await page.goto(`${running.url}/scene/town-square`);
      await page.waitForFunction((line) => document.body.innerText.includes(line.slice(0, 30)), HOSTILE_LINE, {
        timeout: 40_000,
      });
      expect(await page.evaluate(() => document.body.innerText)).toContain(HOSTILE_NAME);

      const result = await page.evaluate(() => ({
        xss: (window as unknown as { __xss?: number }).__xss ?? null,
        injectedImages: document.querySelectorAll('img[src="x"], img[src="y"]').length,
        boldFromServer: [...document.querySelectorAll('b')].filter((b) => b.textContent === 'bold').length,
        inlineScripts: [...document.querySelectorAll('script')].filter((s) => s.textContent?.includes('__xss')).length,
      }));
      expect(result).toEqual({ xss: null, injectedImages: 0, boldFromServer: 0, inlineScripts: 0 });
      expect(errors).toEqual([]);
      await page.close();
    },
  );
});
