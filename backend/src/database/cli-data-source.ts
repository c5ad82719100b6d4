import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source.js';

/**
 * For the TypeORM CLI only, e.g. after `npm run build`:
 * `npx typeorm migration:show -d dist/backend/src/database/cli-data-source.js`.
 */
export default new DataSource(dataSourceOptions(loadConfig(process.env).database));
