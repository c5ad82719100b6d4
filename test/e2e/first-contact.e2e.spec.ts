import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_ENV, ROOT, startApp, tempDir, type RunningApp } from '../support/app.js';

const TOKEN = 'first-contact-author-token-0123';
const JSON_AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/** Runs the built server until it exits; its exit code and what it wrote. */
function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const dir = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'dist/backend/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...FAST_ENV,
        DATA_DIR: dir,
        DATABASE_URL: `sqlite:${join(dir, 'x.sqlite')}`,
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('first contact', () => {
  it('installs clean on the Node version the README and package.json name: no package wants a newer one', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const minimum = semver.minVersion(pkg.engines.node)!.version;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const stated = /Node\.js (\d+\.\d+)\+/.exec(readme)?.[1];
    expect(`${stated}.0`).toBe(minimum);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } | string[]; version?: string; optional?: boolean }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path && !p.optional)
      .filter(([, p]) => {
        const wanted = p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
        return wanted !== undefined && !semver.satisfies(minimum, wanted);
      })
      .map(([path, p]) => `${path}@${p.version}`);
    expect(refusing).toEqual([]);
  });

  it('a model that cannot be used stops boot with the message alone: no stack trace', async () => {
    const { code, stderr } = await runUntilExit({ LLM_MODEL: 'groq:llama-3.1-8b-instant' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/LLM_MODEL \(groq:llama-3\.1-8b-instant\).*npm install @langchain\/groq/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });

  it('the README opens with a one-screen quick start: what it is, the two commands, what you see, a real model', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const firstScreen = readme.split('\n').slice(0, 45).join('\n');
    expect(firstScreen).toMatch(/npm install/);
    expect(firstScreen).toMatch(/npm start/);
    expect(firstScreen).toMatch(/http:\/\/localhost:3000/);
    expect(firstScreen).toMatch(/LLM_MODEL=openai:/);
    expect(firstScreen).toMatch(/ollama/i);
  });
});

describe('first contact: scenes name real characters', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ env: { AUTHOR_TOKEN: TOKEN } });
  });
  afterAll(() => running?.close());

  it('a scene whose cast names a character that does not exist is refused with a 400 naming the id', async () => {
    const created = await fetch(`${running.url}/api/scenes`, {
      method: 'POST',
      headers: JSON_AUTH,
      body: JSON.stringify({
        id: 'empty-stage',
        name: 'Empty stage',
        map: ['#####', '#...#', '#####'],
        places: {},
        cast: [
          { id: 'mara', x: 1, y: 1 },
          { id: 'ghost', x: 3, y: 1 },
        ],
      }),
    });
    expect(created.status).toBe(400);
    const body = (await created.json()) as { message: string[] };
    expect(body.message.join()).toMatch(/cast\.ghost: no character "ghost"/);
    expect((await fetch(`${running.url}/api/scenes/empty-stage`)).status).toBe(404);

    const patched = await fetch(`${running.url}/api/scenes/town-square`, {
      method: 'PATCH',
      headers: JSON_AUTH,
      body: JSON.stringify({ cast: [{ id: 'ghost', x: 5, y: 5 }] }),
    });
    expect(patched.status).toBe(400);
    expect(((await patched.json()) as { message: string[] }).message.join()).toMatch(/cast\.ghost/);
  });
});
