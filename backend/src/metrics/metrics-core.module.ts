import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/** The series themselves, injectable anywhere (the scenes service records into them). */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsCoreModule {}
