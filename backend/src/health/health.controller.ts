import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
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

  /**
   * Readiness: can this instance serve scenes? The database, and the LLM: `up`, `degraded`
   * (200) while a fallback model serves, `down` (503) only when no model is known to answer
   * (its circuit open or probing, no fallback). Load balancers route by it; containers must
   * not restart on it.
   */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: database and LLM (503 only when no line can be produced)' })
  check() {
    return this.health.check([() => this.db.pingCheck('db', { timeout: 2_000 }), () => this.llm.check('llm')]);
  }

  /**
   * Liveness: the process answers and its database does. A provider outage is no reason to
   * restart a process that is fine, so the LLM is not part of it (the Dockerfile's
   * HEALTHCHECK and orchestrators' liveness probes use this).
   */
  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process and the database only' })
  live() {
    return this.health.check([() => this.db.pingCheck('db', { timeout: 2_000 })]);
  }
}
