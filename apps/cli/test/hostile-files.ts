/**
 * Hostile files for the tests: safetensors with rewritten metadata, PNG chunks by hand, IDX
 * headers without their elements, MNIST folders.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { encodeIdx } from "@fnn/mnist"
import { chunk } from "./helpers.ts"

/** The header and the tensors' bytes of a safetensors file, to rewrite its metadata. */
export const splitFile = (
  bytes: Uint8Array,
): { header: Record<string, unknown>; data: Uint8Array } => {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    unknown
  >
  return { header, data: bytes.subarray(8 + n) }
}

/** A safetensors file from a header (written as is) and data bytes. */
export const joinFile = (headerText: string, data: Uint8Array): Uint8Array => {
  const h = new TextEncoder().encode(headerText)
  const out = new Uint8Array(8 + h.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true)
  out.set(h, 8)
  out.set(data, 8 + h.length)
  return out
}

/** The model file `base` with metadata entry `key` set to the string `value`. */
export const withMeta = (base: Uint8Array, key: string, value: string): Uint8Array => {
  const { header, data } = splitFile(base)
  const meta = { ...(header["__metadata__"] as Record<string, string>), [key]: value }
  return joinFile(JSON.stringify({ ...header, __metadata__: meta }), data)
}

export const pngSignature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)

export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export const ihdr = (width: number, height: number, interlace = 0, length = 13): Uint8Array => {
  const b = new Uint8Array(length)
  const v = new DataView(b.buffer)
  if (length >= 8) {
    v.setUint32(0, width)
    v.setUint32(4, height)
  }
  if (length >= 13) {
    b[8] = 8
    b[12] = interlace
  }
  return chunk("IHDR", b)
}

export const iend = chunk("IEND", new Uint8Array(0))

/** An IDX header for ubyte `shape`, without elements. */
export const idxHeader = (shape: ReadonlyArray<number>): Uint8Array => {
  const out = new Uint8Array(4 + 4 * shape.length)
  const v = new DataView(out.buffer)
  out[2] = 0x08
  out[3] = shape.length
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d))
  return out
}

/** A folder with the two test files of MNIST. */
export const testFolder = (
  dir: string,
  name: string,
  images: Uint8Array,
  labels: Uint8Array,
  gz = false,
): string => {
  mkdirSync(join(dir, name), { recursive: true })
  const suffix = gz ? ".gz" : ""
  writeFileSync(join(dir, name, `t10k-images-idx3-ubyte${suffix}`), images)
  writeFileSync(join(dir, name, `t10k-labels-idx1-ubyte${suffix}`), labels)
  return name
}

export const labelsOf = (n: number): Uint8Array =>
  encodeIdx({ dtype: "ubyte", shape: [n], data: new Uint8Array(n) })
