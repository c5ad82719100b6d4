/// <reference lib="dom" />
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { startApp, waitFor, type RunningApp } from '../support/app.js';

/**
 * A provider outage seen from the scene page (headless Chromium). Before, the page said
 * "Live" and "Nobody has said anything yet" for as long as the outage lasted; now it says,
 * calmly, that the characters rest until the storyteller is back, and stops saying it once
 * lines flow again.
 */
describe('viewer: the storyteller resting', () => {
  let fake: FakeOpenAiServer;
  let running: RunningApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    fake.defaultMode = 'error500';
    running = await startApp({
      viewer: true,
      env: {
        LLM_MODEL: 'openai:fake-gpt',
        LLM_BASE_URL: fake.baseUrl,
        LLM_MAX_RETRIES: '0',
        LLM_BREAKER_FAILURES: '2',
        LLM_BREAKER_COOLDOWN_MS: '1500',
        UNWATCHED_SLOWDOWN: '1',
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
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await fake?.close();
  });

  const notice = () =>
    page.$eval('.resting', (n) => ({
      shown: !(n as HTMLElement).hidden,
      text: n.textContent ?? '',
      empty: document.querySelector('.empty')?.textContent ?? '',
    }));

  it('shows a calm notice while no line can be written, and clears it when lines flow again', async () => {
    await page.goto(`${running.url}/scene/town-square`);
    await waitFor(async () => (await notice()).shown, 20_000, 'the resting notice');
    const shown = await notice();
    expect(shown.text).toMatch(/characters are resting until it is back/);
    expect(shown.empty).toMatch(/resting until the storyteller is back/);
    expect(await page.$eval('.conn', (n) => (n as HTMLElement).dataset.state)).toBe('live');

    fake.defaultMode = 'tool';
    await waitFor(async () => !(await notice()).shown, 20_000, 'the notice to clear');
    await waitFor(async () => (await page.$$('.transcript .line')).length > 0, 20_000, 'a line in the transcript');
    expect((await notice()).shown).toBe(false);
  });
});
