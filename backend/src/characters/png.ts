import { crc32, deflateSync } from 'node:zlib';

/** Just enough PNG for character cards: chunks read and written by hand, checked by CRC. */

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Cards are small; a bigger "PNG" is refused before it is walked. */
export const MAX_CARD_PNG_BYTES = 8 * 1024 * 1024;

export interface PngChunk {
  type: string;
  data: Buffer;
}

export class PngError extends Error {}

export function readPngChunks(png: Buffer): PngChunk[] {
  if (png.length < SIGNATURE.length || !png.subarray(0, SIGNATURE.length).equals(SIGNATURE))
    throw new PngError('not a PNG file (bad signature)');
  const chunks: PngChunk[] = [];
  let offset = SIGNATURE.length;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new PngError(`truncated chunk at byte ${offset}`);
    const length = png.readUInt32BE(offset);
    const typeAndData = png.subarray(offset + 4, offset + 8 + length);
    if (offset + 12 + length > png.length) throw new PngError(`truncated chunk at byte ${offset}`);
    const type = typeAndData.subarray(0, 4).toString('latin1');
    const expected = png.readUInt32BE(offset + 8 + length);
    if (crc32(typeAndData) !== expected) throw new PngError(`bad CRC in ${type} chunk at byte ${offset}`);
    chunks.push({ type, data: Buffer.from(typeAndData.subarray(4)) });
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw new PngError('the first chunk must be IHDR');
  return chunks;
}

export function writePng(chunks: PngChunk[]): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  for (const chunk of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(chunk.data.length, 0);
    head.write(chunk.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), chunk.data])), 0);
    parts.push(head, chunk.data, crc);
  }
  return Buffer.concat(parts);
}

/** A tEXt chunk: Latin-1 keyword, a zero byte, Latin-1 text. */
export function textChunk(keyword: string, text: string): PngChunk {
  return {
    type: 'tEXt',
    data: Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]),
  };
}

/** The text of the first tEXt chunk with this keyword, if any. */
export function findText(chunks: PngChunk[], keyword: string): string | null {
  for (const chunk of chunks) {
    if (chunk.type !== 'tEXt') continue;
    const zero = chunk.data.indexOf(0);
    if (zero < 0) continue;
    if (chunk.data.subarray(0, zero).toString('latin1') === keyword)
      return chunk.data.subarray(zero + 1).toString('latin1');
  }
  return null;
}

/** Sets a tEXt chunk (replacing one with the same keyword) just before the image data. */
export function withText(png: Buffer, keyword: string, text: string): Buffer {
  const chunks = readPngChunks(png).filter(
    (c) => !(c.type === 'tEXt' && c.data.subarray(0, c.data.indexOf(0)).toString('latin1') === keyword),
  );
  const at = chunks.findIndex((c) => c.type === 'IDAT');
  chunks.splice(at < 0 ? 1 : at, 0, textChunk(keyword, text));
  return writePng(chunks);
}

/** An 8-bit RGBA image from a pixel function (null = transparent), each pixel `scale`×`scale`. */
export function encodeRgba(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
  scale = 1,
): Buffer {
  const w = width * scale;
  const h = height * scale;
  const raw = Buffer.alloc(h * (1 + w * 4));
  for (let y = 0; y < h; y++) {
    const row = y * (1 + w * 4);
    raw[row] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const [r, g, b, a] = pixel(Math.floor(x / scale), Math.floor(y / scale));
      raw.set([r, g, b, a], row + 1 + x * 4);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit, RGBA, deflate, adaptive filtering, no interlace
  return writePng([
    { type: 'IHDR', data: header },
    { type: 'IDAT', data: deflateSync(raw) },
    { type: 'IEND', data: Buffer.alloc(0) },
  ]);
}
