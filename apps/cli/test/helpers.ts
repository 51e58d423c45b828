/**
 * Helpers shared by the CLI tests: an in-memory `RunIO`, temporary directories, a small trained
 * model made once per test file, and an independent PNG writer for colour types pngjs cannot
 * write.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deflateSync } from "node:zlib"
import type { Interrupt, RunIO } from "../src/io.ts"
import { run } from "../src/run.ts"

/** What a run printed and returned. */
export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `fnn` in-process with `cwd` as its working directory. */
export const fnn = async (
  cwd: string,
  argv: ReadonlyArray<string>,
  options: { readonly isTTY?: boolean; readonly interrupt?: Interrupt } = {},
): Promise<Ran> => {
  let stdout = ""
  let stderr = ""
  const io: RunIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    isTTY: options.isTTY ?? false,
    cwd,
    ...(options.interrupt === undefined ? {} : { interrupt: options.interrupt }),
  }
  const code = await run(argv, io)
  return { code, stdout, stderr }
}

/** A fresh temporary directory and a function that removes it. */
export const tempDir = (): { readonly dir: string; readonly remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), "fnn-cli-"))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** An interrupt that fires after it has been asked `n` times (training asks once per step). */
export const interruptAfter = (n: number): Interrupt => {
  let asked = 0
  return {
    get interrupted() {
      asked += 1
      return asked > n
    },
  }
}

// -------------------------------------------------------------------------------------------
// an independent PNG writer (palette and grey images, 8 bits)
// -------------------------------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

export const chunk = (type: string, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

/**
 * A PNG of 8-bit samples: colour type 0 (grey, 1 sample per pixel), 3 (palette index, with
 * `palette` RGB triples) or 2 / 4 / 6. Rows use filter 0.
 */
export const writePng = (
  width: number,
  height: number,
  colorType: 0 | 2 | 3 | 4 | 6,
  samples: Uint8Array,
  palette?: Uint8Array,
): Uint8Array => {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]
  const ihdr = new Uint8Array(13)
  const v = new DataView(ihdr.buffer)
  v.setUint32(0, width)
  v.setUint32(4, height)
  ihdr[8] = 8
  ihdr[9] = colorType
  const raw = new Uint8Array(height * (1 + width * channels))
  for (let y = 0; y < height; y++)
    raw.set(
      samples.subarray(y * width * channels, (y + 1) * width * channels),
      y * (1 + width * channels) + 1,
    )
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk("IHDR", ihdr),
    ...(palette === undefined ? [] : [chunk("PLTE", palette)]),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
