import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/**
 * The bearer token of author endpoints. From AUTHOR_TOKEN, or generated at first start
 * into `data/author-token` (mode 0600) and printed once, to the terminal only.
 */
@Injectable()
export class AuthorTokenService implements OnModuleInit {
  private readonly logger = new Logger(AuthorTokenService.name);
  private digest: Buffer | null = null;

  constructor(private readonly config: AppConfig) {}

  get tokenPath(): string {
    return join(this.config.dataDir, 'author-token');
  }

  onModuleInit(): void {
    this.digest = hash(this.resolveToken());
  }

  /** Constant time: both sides are hashed to the same length before comparing. */
  verify(candidate: string | undefined | null): boolean {
    if (!candidate || !this.digest) return false;
    return timingSafeEqual(hash(candidate), this.digest);
  }

  private resolveToken(): string {
    if (this.config.authorToken) return this.config.authorToken;
    if (existsSync(this.tokenPath)) {
      const stored = readFileSync(this.tokenPath, 'utf8').trim();
      if (stored.length >= 16) return stored;
    }
    const token = randomBytes(24).toString('base64url');
    mkdirSync(this.config.dataDir, { recursive: true });
    writeFileSync(this.tokenPath, `${token}\n`, { mode: 0o600 });
    chmodSync(this.tokenPath, 0o600);
    // Printed once, straight to the terminal, never through the logger (logs get shipped).
    process.stdout.write(`\nAuthor token (saved in ${this.tokenPath}, shown only this once):\n  ${token}\n\n`);
    this.logger.log(`Generated an author token in ${this.tokenPath}`);
    return token;
  }
}

function hash(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
