import { Module } from '@nestjs/common';
import { AgentsController } from './agents.controller.js';
import { DialogueService } from './dialogue.service.js';
import { LlmStatusService } from './llm-status.service.js';
import { ChatModelFactory } from './model-factory.js';
import { PromptTemplatesService } from './prompt-templates.service.js';

@Module({
  controllers: [AgentsController],
  providers: [ChatModelFactory, PromptTemplatesService, DialogueService, LlmStatusService],
  exports: [DialogueService, LlmStatusService, PromptTemplatesService, ChatModelFactory],
})
export class AgentsModule {}
