import type { ValueTransformer } from 'typeorm';

/**
 * Epoch milliseconds are stored as bigint (PostgreSQL returns those as strings) and read
 * back as numbers: ms timestamps stay far below 2^53.
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
