import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UnauthorizedException,
  UnsupportedMediaTypeException,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthorOnly, bearerToken } from '../auth/author.guard.js';
import { AuthorTokenService } from '../auth/author-token.service.js';
import { fieldError } from '../common/field-error.js';
import { CharacterCardV2Dto, cardFromPng, cardToPng, fromCard, toCard, validateCard } from './character-card.js';
import { CharacterErrorsFilter } from './character-errors.filter.js';
import { CharacterPreviewService, toSource } from './character-preview.service.js';
import { cleanSource, serializeCharacterFile, sourceOf, type CharacterSource } from './character-definition.js';
import { CharactersService } from './characters.service.js';
import {
  CharacterDto,
  CharacterIdParamDto,
  CharacterVersionDto,
  CharacterWriteDto,
  CreateCharacterDto,
  ImportQueryDto,
  PreviewDto,
  PreviewRequestDto,
  PublicCharacterDto,
  VersionParamDto,
} from './dto/character.dto.js';
import { MAX_CARD_PNG_BYTES } from './png.js';
import { PreviewLimited } from '../rate-limit/rate-limit.js';

/** `"<sha256>"`: the content hash of the prompt file is the ETag. */
function etag(hash: string): string {
  return `"${hash}"`;
}

/** The hash an If-Match names (quotes and a weak prefix ignored); `*` or nothing: no check. */
function ifMatchHash(header: string | undefined): string | null {
  if (!header || header.trim() === '*') return null;
  return header.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

@ApiTags('characters')
@ApiExtraModels(PublicCharacterDto, CharacterDto)
@UseFilters(CharacterErrorsFilter)
@Controller()
export class CharactersController {
  constructor(
    private readonly characters: CharactersService,
    private readonly previews: CharacterPreviewService,
    private readonly tokens: AuthorTokenService,
  ) {}

  /**
   * Whether a read comes from an author. No Authorization header: a visitor, who gets the
   * public view. A header with a wrong token: 401, so a misconfigured editor finds out
   * instead of silently getting less.
   */
  private isAuthor(req: Request): boolean {
    if (req.headers.authorization === undefined) return false;
    if (this.tokens.verify(bearerToken(req))) return true;
    throw new UnauthorizedException('That author token is not valid: Authorization: Bearer <AUTHOR_TOKEN>');
  }

  @Get('characters')
  @ApiOperation({
    summary: 'Every character: the public view, or the full definitions with the author token',
  })
  @ApiOkResponse({
    schema: {
      oneOf: [
        { type: 'array', items: { $ref: getSchemaPath(PublicCharacterDto) } },
        { type: 'array', items: { $ref: getSchemaPath(CharacterDto) } },
      ],
    },
  })
  list(@Req() req: Request, @Res({ passthrough: true }) res: Response): PublicCharacterDto[] | CharacterDto[] {
    res.setHeader('Vary', 'Authorization');
    if (!this.isAuthor(req)) return this.characters.list().map((c) => PublicCharacterDto.from(c));
    res.setHeader('Cache-Control', 'private, no-store');
    return this.characters.list().map((c) => CharacterDto.from(c));
  }

  @Get('character-problems')
  @AuthorOnly()
  @ApiOperation({
    summary: 'Character files that failed validation (path, field, line); their last valid version stays live',
  })
  problems(): { path: string; field: string; line: number | null; message: string }[] {
    return this.characters
      .loadProblems()
      .map((p) => ({ path: p.path, field: p.field, line: p.line, message: p.message }));
  }

  @Get('characters/:id')
  @ApiOperation({
    summary:
      'One character: the public view (id, name, sprite, traits, home, topics, bio), or with the author token the full definition that can be PUT back',
  })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(PublicCharacterDto) }, { $ref: getSchemaPath(CharacterDto) }] },
    headers: { ETag: { description: 'content hash of the prompt file (author view only)' } },
  })
  @ApiNotFoundResponse()
  get(
    @Param() params: CharacterIdParamDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): PublicCharacterDto | CharacterDto {
    const def = this.characters.get(params.id);
    res.setHeader('Vary', 'Authorization');
    if (!this.isAuthor(req)) return PublicCharacterDto.from(def);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('ETag', etag(def.contentHash));
    return CharacterDto.from(def);
  }

  @Post('characters')
  @AuthorOnly()
  @ApiOperation({ summary: 'Create a character: writes prompts/characters/<id>.md and a version' })
  @ApiOkResponse({ type: CharacterDto })
  @ApiBadRequestResponse({ description: 'names the field' })
  @ApiConflictResponse({ description: 'a character with this id exists' })
  create(@Body() body: CreateCharacterDto, @Res({ passthrough: true }) res: Response): Promise<CharacterDto> {
    const { id, ...rest } = body;
    return this.save(id, toSource(rest), { create: true }, res);
  }

  @Post('characters/:id')
  @AuthorOnly()
  @ApiOperation({ summary: 'Create a character with the id in the path' })
  @ApiOkResponse({ type: CharacterDto })
  @ApiConflictResponse()
  createAt(
    @Param() params: CharacterIdParamDto,
    @Body() body: CharacterWriteDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    return this.save(params.id, toSource(body), { create: true }, res);
  }

  @Put('characters/:id')
  @AuthorOnly()
  @ApiOperation({
    summary: 'Replace a character; live at its next turn. Send If-Match with the ETag you loaded: a stale one is a 409',
  })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: CharacterDto })
  @ApiConflictResponse({ description: 'If-Match is stale: someone (or the file on disk) changed the character' })
  update(
    @Param() params: CharacterIdParamDto,
    @Body() body: CharacterWriteDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    return this.save(params.id, toSource(body), { ifMatch: ifMatchHash(ifMatch), mustExist: true }, res);
  }

  @Delete('characters/:id')
  @AuthorOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the prompt file; the character leaves its scenes. Versions stay' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(@Param() params: CharacterIdParamDto, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.characters.remove(params.id, ifMatchHash(ifMatch));
  }

  @Post('characters/:id/preview')
  @AuthorOnly()
  @PreviewLimited()
  @HttpCode(200)
  @ApiOperation({ summary: 'One line from the configured model, for the saved character or an unsaved draft' })
  @ApiOkResponse({ type: PreviewDto })
  preview(@Param() params: CharacterIdParamDto, @Body() body: PreviewRequestDto): Promise<PreviewDto> {
    return this.previews.preview(params.id, body);
  }

  @Get('characters/:id/versions')
  @AuthorOnly()
  @ApiOperation({ summary: 'Every accepted version, newest first, with its file content' })
  @ApiOkResponse({ type: [CharacterVersionDto] })
  async versions(@Param() params: CharacterIdParamDto): Promise<CharacterVersionDto[]> {
    const current = this.characters.find(params.id)?.contentHash ?? null;
    return (await this.characters.versions(params.id)).map((v) => CharacterVersionDto.from(v, current));
  }

  @Post('characters/:id/versions/:version/restore')
  @AuthorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Make an old version live again (recorded as a new version)' })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: CharacterDto })
  async restore(
    @Param() params: VersionParamDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    const def = await this.characters.restore(params.id, params.version, ifMatchHash(ifMatch));
    res.setHeader('ETag', etag(def.contentHash));
    return CharacterDto.from(def);
  }

  @Get('characters/:id/card')
  @AuthorOnly()
  @ApiOperation({ summary: 'Export as Character Card V2 JSON' })
  @ApiOkResponse({ type: CharacterCardV2Dto })
  card(@Param() params: CharacterIdParamDto, @Res({ passthrough: true }) res: Response): CharacterCardV2Dto {
    const def = this.characters.get(params.id);
    res.setHeader('Content-Disposition', `attachment; filename="${def.id}.card.json"`);
    return toCard(sourceOf(def));
  }

  @Get('characters/:id/card.png')
  @AuthorOnly()
  @ApiOperation({ summary: 'Export as a Character Card V2 PNG: the sprite, with the card in its chara tEXt chunk' })
  @ApiProduces('image/png')
  cardPng(@Param() params: CharacterIdParamDto, @Res() res: Response): void {
    const def = this.characters.get(params.id);
    const png = cardToPng(toCard(sourceOf(def)), def.sprite);
    res.setHeader('Content-Type', 'image/png');
    res.setHeader('Content-Disposition', `attachment; filename="${def.id}.card.png"`);
    res.end(png);
  }

  @Post('character-cards')
  @AuthorOnly()
  @ApiOperation({ summary: 'Import a Character Card V2 (JSON body)' })
  @ApiOkResponse({ type: CharacterDto })
  @ApiConflictResponse({ description: 'the character exists and replace is not true' })
  importJson(
    @Body() body: CharacterCardV2Dto,
    @Query() query: ImportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    return this.importCard(body, query, res);
  }

  @Post('character-cards/png')
  @AuthorOnly()
  @ApiOperation({
    summary: `Import a Character Card V2 PNG (body: the image, Content-Type image/png, at most ${MAX_CARD_PNG_BYTES} bytes)`,
  })
  @ApiConsumes('image/png')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ type: CharacterDto })
  @ApiPayloadTooLargeResponse({ description: 'the PNG is larger than a card can be' })
  importPng(
    @Req() req: Request,
    @Query() query: ImportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    // express.raw (CharactersModule) has read the body, refusing more than MAX_CARD_PNG_BYTES with a 413.
    if (!Buffer.isBuffer(req.body)) throw new UnsupportedMediaTypeException('Send the card as Content-Type: image/png');
    return this.importCard(cardFromPng(req.body), query, res);
  }

  private importCard(card: CharacterCardV2Dto, query: ImportQueryDto, res: Response): Promise<CharacterDto> {
    const source = fromCard(validateCard(card));
    const id = query.id ?? slug(source.name);
    if (!id) throw fieldError('id', 'the card name gives no usable id; pass ?id=');
    const replace = query.replace === 'true';
    return this.save(id, source, replace ? {} : { create: true }, res);
  }

  private async save(
    id: string,
    source: CharacterSource,
    options: { create?: boolean; ifMatch?: string | null; mustExist?: boolean },
    res: Response,
  ): Promise<CharacterDto> {
    const def = await this.characters.writeText(id, serializeCharacterFile(cleanSource(source)), options);
    res.setHeader('ETag', etag(def.contentHash));
    return CharacterDto.from(def);
  }
}
function slug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
