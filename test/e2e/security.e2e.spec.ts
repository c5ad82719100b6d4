/// <reference lib="dom" />
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';

const CHROMIUM = '/usr/bin/chromium';
const STACK_LINE = /\n\s+at\s|\.ts:\d+|\.js:\d+|node_modules/;

describe('security headers, CORS and error bodies', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp({ viewer: true, env: { CORS_ORIGINS: 'http://allowed.test' } });
  });
  afterAll(() => running?.close());

  it('sends helmet headers with a CSP on the API and the viewer', async () => {
    for (const path of ['/api/scenes', '/', '/scene/town-square']) {
      const res = await fetch(`${running.url}${path}`);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('allows CORS only for CORS_ORIGINS, over HTTP and socket.io', async () => {
    const preflight = (origin: string) =>
      fetch(`${running.url}/api/scenes`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    const allowed = await preflight('http://allowed.test');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://allowed.test');
    const denied = await preflight('http://evil.test');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${running.url}/api/scenes`, { headers: { origin: 'http://evil.test' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();

    // socket.io's long-polling handshake answers with the same rule.
    const handshake = (origin: string) =>
      fetch(`${running.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    expect((await handshake('http://allowed.test')).headers.get('access-control-allow-origin')).toBe(
      'http://allowed.test',
    );
    expect((await handshake('http://evil.test')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never puts a stack trace or a file path in an error response', async () => {
    const cases: [string, RequestInit, number][] = [
      ['/api/scenes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"broken' }, 400],
      ['/api/scenes/town-square/lines?limit=abc&before=-1', {}, 400],
      ['/api/scenes/%E0%A4%A', {}, 400],
      ['/api/scenes/nope', {}, 404],
      [
        '/api/llm',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ a: 'x'.repeat(300_000) }),
        },
        413,
      ],
      ['/api/nothing-here', {}, 404],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${running.url}${path}`, init);
      const body = await res.text();
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(body, path).not.toMatch(STACK_LINE);
      expect(JSON.parse(body), path).toMatchObject({ statusCode: status });
    }
  });

  it('lets the viewer, Phaser-style blob:/data: images, blob workers, WebGL and socket.io run under the CSP', async () => {
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
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
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) =>
          ((window as any).__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      const res = await page.goto(`${running.url}/scene/town-square`, { waitUntil: 'load' });
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
      // The built viewer's own module script ran (it renders into #app).
      await page.waitForFunction(() => (document.querySelector('#app')?.childElementCount ?? 0) > 0, undefined, {
        timeout: 10_000,
      });

      const probe = await page.evaluate(async () => {
        const load = (src: string) =>
          new Promise<boolean>((resolve) => {
            const img = new Image();
            img.onload = () => resolve(true);
            img.onerror = () => resolve(false);
            img.src = src;
          });
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 4;
        const blob = await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/png'));
        const blobImage = await load(URL.createObjectURL(blob));
        const dataImage = await load(canvas.toDataURL('image/png'));
        const worker = await new Promise<boolean>((resolve) => {
          try {
            const w = new Worker(URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' })));
            w.onmessage = () => resolve(true);
            w.onerror = () => resolve(false);
          } catch {
            resolve(false);
          }
        });
        const gl =
          document.createElement('canvas').getContext('webgl') !== null ||
          document.createElement('canvas').getContext('2d') !== null;
        const ws = await new Promise<boolean>((resolve) => {
          const socket = new WebSocket(
            `${location.origin.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
          );
          socket.onmessage = () => (socket.close(), resolve(true));
          socket.onerror = () => resolve(false);
        });
        let inlineRan = false;
        (window as any).__inline = () => (inlineRan = true);
        const s = document.createElement('script');
        s.textContent = 'window.__inline()';
        document.body.appendChild(s);
        return { blobImage, dataImage, worker, gl, ws, inlineRan, reported: (window as any).__csp ?? [] };
      });
      // What Phaser and socket.io need works; an injected inline script does not.
      expect(probe).toMatchObject({
        blobImage: true,
        dataImage: true,
        worker: true,
        gl: true,
        ws: true,
        inlineRan: false,
      });
      expect(probe.reported.filter((v: string) => !v.startsWith('script-src'))).toEqual([]);
      expect(violations.filter((v) => !/inline/i.test(v))).toEqual([]);
    } finally {
      await browser?.close();
    }
  });
});
