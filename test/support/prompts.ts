import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './app.js';

/** A temporary copy of prompts/, so tests that write character files never touch the repo's. */
export function copyPrompts(): string {
  const dir = join(tempDir('pixeltales-prompts-'), 'prompts');
  cpSync(join(ROOT, 'prompts'), dir, { recursive: true });
  return dir;
}
