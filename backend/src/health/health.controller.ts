import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipAllThrottles } from '../rate-limit/rate-limit.js';
import { LlmHealthIndicator } from './llm.health.js';

@ApiTags('health')
// Probes from an orchestrator must get an answer however busy their address is.
@SkipAllThrottles()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly llm: LlmHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.db.pingCheck('db', { timeout: 2_000 }), () => this.llm.check('llm')]);
  }
}
