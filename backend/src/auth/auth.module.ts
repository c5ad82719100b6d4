import { Global, Module } from '@nestjs/common';
import { AuthorGuard } from './author.guard.js';
import { AuthorTokenService } from './author-token.service.js';

@Global()
@Module({
  providers: [AuthorTokenService, AuthorGuard],
  exports: [AuthorTokenService, AuthorGuard],
})
export class AuthModule {}
