import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthorOnly } from '../auth/author.guard.js';
import { AppConfig } from '../config/app-config.js';
import { LlmStatusService } from './llm-status.service.js';

@ApiTags('llm')
@Controller('llm')
export class AgentsController {
  constructor(
    private readonly status: LlmStatusService,
    private readonly config: AppConfig,
  ) {}

  /** The configured provider and model, and how calls have gone. Never a key. */
  @Get()
  @AuthorOnly()
  @ApiOkResponse({
    description: 'provider, model, base URL host, fallback, breaker state, fault counters and tokens; never a key',
  })
  info() {
    const summary = this.status.summary();
    return {
      ...summary,
      // Only the host: a base URL can carry credentials in its user-info or query.
      baseUrlHost: this.config.llm.baseUrl ? new URL(this.config.llm.baseUrl).host : null,
      apiKeySet: Boolean(this.config.llm.apiKey),
      timeoutMs: this.config.llm.timeoutMs,
      maxConcurrency: this.config.llm.maxConcurrency,
      maxRetries: this.config.llm.maxRetries,
      streaming: this.config.llm.streaming,
      budgetTokensPerHour: this.config.llm.budgetTokensPerHour || null,
    };
  }
}
