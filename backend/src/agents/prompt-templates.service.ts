import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { parseDialogueTemplate, type DialogueTemplate } from './prompt/dialogue-prompt.js';

/** Prompt templates live in files (`prompts/templates/`), never in code. */
@Injectable()
export class PromptTemplatesService implements OnModuleInit {
  /** At boot: a dialogue template that cannot be loaded stops the start, naming the file. */
  async onModuleInit(): Promise<void> {
    await this.load();
  }

  private readonly logger = new Logger(PromptTemplatesService.name);
  private dialogue: DialogueTemplate | null = null;

  constructor(private readonly config: AppConfig) {}

  get dialoguePath(): string {
    return join(this.config.promptsDir, 'templates', 'dialogue.md');
  }

  /** Loads the templates; a broken edit keeps the last good one and says why. */
  async load(): Promise<void> {
    try {
      this.dialogue = parseDialogueTemplate(await readFile(this.dialoguePath, 'utf8'), this.dialoguePath);
    } catch (error) {
      if (!this.dialogue)
        throw new Error(`Cannot load the dialogue template: ${(error as Error).message}`, { cause: error });
      this.logger.error(`${(error as Error).message}; the last valid template stays in use`);
    }
  }

  dialogueTemplate(): DialogueTemplate {
    if (!this.dialogue) throw new Error('templates are not loaded yet');
    return this.dialogue;
  }
}
