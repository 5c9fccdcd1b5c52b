/**
 * A PNG encoder for the simulator's generated images: real, decodable files of any size that
 * differ by seed, made cheaply. The picture is a grid of 8×8 coloured cells from a 16-colour
 * palette (4-bit indexed colour): every row of a cell band after the first is PNG's "Up" filter
 * over identical bytes, i.e. zeros, so a 1024×1792 image is ~0.9 MB of mostly zeros for deflate
 * (a few ms) and a few kB on the wire. Written here rather than with pngjs because indexed colour
 * with hand-picked filters is the whole of it.
 */
import { deflateSync } from 'node:zlib';
import { seededRandom } from '../random.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const GRID = 8;
const COLOURS = 16;

/** A `width`×`height` PNG whose palette and cell colours follow from `seed`. */
export function cellPng(width: number, height: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const palette = new Uint8Array(COLOURS * 3);
  for (let i = 0; i < palette.length; i++) palette[i] = (random() * 256) | 0;
  const cells = new Uint8Array(GRID * GRID);
  for (let i = 0; i < cells.length; i++) cells[i] = (random() * COLOURS) | 0;

  const rowBytes = 1 + Math.ceil(width / 2);
  const raw = new Uint8Array(rowBytes * height); // zero: "Up" rows need nothing written but the filter byte
  const cellW = Math.ceil(width / GRID);
  const cellH = Math.ceil(height / GRID);
  for (let y = 0; y < height; y++) {
    const at = y * rowBytes;
    if (y % cellH !== 0) {
      raw[at] = 2; // Up: the same bytes as the row above
      continue;
    }
    const band = Math.floor(y / cellH) * GRID;
    for (let x = 0; x < width; x++) {
      const index = cells[band + Math.floor(x / cellW)]!;
      raw[at + 1 + (x >> 1)]! |= x & 1 ? index : index << 4;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 4; // bit depth
  header[9] = 3; // indexed colour
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('PLTE', palette), chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', new Uint8Array(0))]);
}

/** FNV-1a: a prompt's seed (the same prompt, the same picture). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
