// `npm run dev`: the backend compiled in watch mode and restarted on change, plus Vite's
// dev server for the viewer (http://localhost:5173, proxying /api and /socket.io to :3000).
import { spawn } from 'node:child_process';

const children = [];
function run(name, command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const prefix = (data) =>
    data
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join('\n') + '\n';
  child.stdout.on('data', (d) => process.stdout.write(prefix(d)));
  child.stderr.on('data', (d) => process.stderr.write(prefix(d)));
  child.on('exit', (code) => {
    if (code && code !== 0) process.stderr.write(`[${name}] exited with ${code}\n`);
  });
  children.push(child);
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
run('tsc', npx, ['tsc', '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput']);
// Give the first compile a moment before starting the server in watch mode.
setTimeout(() => run('api', process.execPath, ['--watch-path=dist/backend', 'dist/backend/src/main.js']), 6000);
run('vite', npx, ['vite', '--config', 'frontend/vite.config.ts']);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGTERM');
    process.exit(0);
  });
}
