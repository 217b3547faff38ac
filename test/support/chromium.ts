import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

/**
 * Headless Chromium for tests, without playwright: the system binary run with --dump-dom (the DOM
 * after scripts ran) or --screenshot. Debian: `apt-get install chromium` → /usr/bin/chromium.
 */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium binary: $CHROMIUM_PATH if set (it must exist), else the first known path that does. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env['CHROMIUM_PATH'];
  if (fromEnv !== undefined && fromEnv !== '') return isExecutable(fromEnv) ? fromEnv : null;
  return CANDIDATES.find(isExecutable) ?? null;
}

/** Why a Chromium test cannot run, for the failure (CI) or skip (local) message. */
export const CHROMIUM_MISSING = 'Chromium not found: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH to the binary.';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ChromiumRun {
  readonly width?: number;
  readonly height?: number;
  readonly timeoutMs?: number;
}

/** Loads `url` and returns the serialised DOM after the page's scripts (and load handlers) ran. */
export async function dumpDom(binary: string, url: string, run: ChromiumRun = {}): Promise<string> {
  return runChromium(binary, ['--dump-dom', url], run);
}

/** Loads `url` and writes a PNG screenshot of the viewport to `pngPath`. */
export async function screenshot(binary: string, url: string, pngPath: string, run: ChromiumRun = {}): Promise<void> {
  await runChromium(binary, [`--screenshot=${pngPath}`, url], run);
}

async function runChromium(binary: string, args: readonly string[], run: ChromiumRun): Promise<string> {
  // a fresh profile per run: parallel runs must not fight over one profile lock
  const profile = mkdtempSync(join(tmpdir(), 'wick-chromium-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--mute-audio',
    '--force-device-scale-factor=1',
    `--user-data-dir=${profile}`,
    `--window-size=${run.width ?? 1280},${run.height ?? 2000}`,
    '--virtual-time-budget=5000',
  ];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(binary, [...flags, ...args], { timeout: run.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** (height, width, 4) RGBA, row-major. */
  readonly rgba: Uint8Array;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into RGBA pixels. */
export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const bitDepth = data[8];
      const colorType = data[9];
      const interlace = data[12];
      if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
      }
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height); // (height, width, channels)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const rawByte = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      pixels[y * stride + x] = (rawByte + predictor) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: pixels };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = pixels[i * 3] ?? 0;
    rgba[i * 4 + 1] = pixels[i * 3 + 1] ?? 0;
    rgba[i * 4 + 2] = pixels[i * 3 + 2] ?? 0;
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** Pixels within `tolerance` (per channel) of an RGB colour, e.g. a chart line's stroke. */
export function countPixelsNear(png: DecodedPng, rgb: readonly [number, number, number], tolerance = 40): number {
  let n = 0;
  for (let i = 0; i < png.width * png.height; i++) {
    const r = png.rgba[i * 4] ?? 0;
    const g = png.rgba[i * 4 + 1] ?? 0;
    const b = png.rgba[i * 4 + 2] ?? 0;
    if (Math.abs(r - rgb[0]) <= tolerance && Math.abs(g - rgb[1]) <= tolerance && Math.abs(b - rgb[2]) <= tolerance) n++;
  }
  return n;
}

/** Number of distinct colours (quantised to 4 bits per channel): a blank page has one or two. */
export function distinctColours(png: DecodedPng): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.width * png.height; i++) {
    seen.add((((png.rgba[i * 4] ?? 0) >> 4) << 8) | (((png.rgba[i * 4 + 1] ?? 0) >> 4) << 4) | ((png.rgba[i * 4 + 2] ?? 0) >> 4));
  }
  return seen.size;
}
