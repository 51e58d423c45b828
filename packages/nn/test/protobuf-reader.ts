/**
 * A plain protobuf wire-format reader and an ONNX model reader on top of it, written for the
 * tests as an independent reference: it follows the wire format's definition (varints as
 * bigints, keys as `number · 8 + wire type`) and `onnx.proto`'s field numbers, and shares no
 * code with the encoder.
 */

/** One field as read: its number, wire type and raw value. */
export type ReadField =
  | { readonly field: number; readonly wire: 0; readonly value: bigint }
  | { readonly field: number; readonly wire: 1; readonly value: Uint8Array }
  | { readonly field: number; readonly wire: 2; readonly value: Uint8Array }
  | { readonly field: number; readonly wire: 5; readonly value: Uint8Array }

const readVarint = (b: Uint8Array, at: number): [bigint, number] => {
  let result = 0n
  let shift = 0n
  for (let i = at; i < b.length; i++) {
    const byte = b[i]!
    result += BigInt(byte & 0x7f) << shift
    shift += 7n
    if (byte < 0x80) return [result, i + 1]
    if (shift > 63n) throw new Error(`varint at ${at} is longer than 10 bytes`)
  }
  throw new Error(`varint at ${at} runs past the end`)
}

/** The fields of a message, in order. Throws on malformed bytes. */
export const readFields = (b: Uint8Array): ReadField[] => {
  const out: ReadField[] = []
  let at = 0
  while (at < b.length) {
    const [k, next] = readVarint(b, at)
    at = next
    const field = Number(k / 8n)
    const wire = Number(k % 8n)
    if (field < 1) throw new Error(`field number ${field}`)
    if (wire === 0) {
      const [v, n] = readVarint(b, at)
      out.push({ field, wire, value: v })
      at = n
    } else if (wire === 2) {
      const [len, n] = readVarint(b, at)
      const end = n + Number(len)
      if (end > b.length) throw new Error("length-delimited field runs past the end")
      out.push({ field, wire, value: b.slice(n, end) })
      at = end
    } else if (wire === 5 || wire === 1) {
      const width = wire === 5 ? 4 : 8
      if (at + width > b.length) throw new Error("fixed field runs past the end")
      out.push({ field, wire, value: b.slice(at, at + width) })
      at += width
    } else throw new Error(`wire type ${wire}`)
  }
  return out
}

/** A varint read as a signed 64-bit integer. */
export const asInt64 = (v: bigint): bigint => (v >= 1n << 63n ? v - (1n << 64n) : v)

const text = new TextDecoder("utf-8", { fatal: true })

const all = (fs: ReadField[], n: number): ReadField[] => fs.filter((f) => f.field === n)
const one = (fs: ReadField[], n: number): ReadField | undefined => all(fs, n).at(-1)
const str = (fs: ReadField[], n: number): string => {
  const f = one(fs, n)
  return f === undefined ? "" : text.decode(f.value as Uint8Array)
}
const int = (fs: ReadField[], n: number): number => {
  const f = one(fs, n)
  return f === undefined ? 0 : Number(asInt64(f.value as bigint))
}
const sub = (f: ReadField): ReadField[] => readFields(f.value as Uint8Array)

/** What the tests look at in an ONNX model. */
export interface ReadModel {
  readonly irVersion: number
  readonly opsets: ReadonlyArray<{ readonly domain: string; readonly version: number }>
  readonly producerName: string
  readonly producerVersion: string
  readonly modelVersion: number
  readonly docString: string
  readonly metadata: Readonly<Record<string, string>>
  readonly graph: {
    readonly name: string
    readonly nodes: ReadonlyArray<{
      readonly name: string
      readonly opType: string
      readonly inputs: ReadonlyArray<string>
      readonly outputs: ReadonlyArray<string>
      readonly attributes: Readonly<
        Record<string, { readonly type: number; readonly f?: number; readonly i?: number }>
      >
    }>
    readonly initializers: ReadonlyArray<{
      readonly name: string
      readonly dims: ReadonlyArray<number>
      readonly dataType: number
      readonly raw: Uint8Array
    }>
    readonly inputs: ReadonlyArray<ReadValueInfo>
    readonly outputs: ReadonlyArray<ReadValueInfo>
  }
}

/** A graph input or output as read. */
export interface ReadValueInfo {
  readonly name: string
  readonly elemType: number
  readonly dims: ReadonlyArray<number | string>
}

const valueInfo = (fs: ReadField[]): ReadValueInfo => {
  const type = sub(one(fs, 2)!)
  const tensor = sub(one(type, 1)!)
  const shape = sub(one(tensor, 2)!)
  return {
    name: str(fs, 1),
    elemType: int(tensor, 1),
    dims: all(shape, 1).map((d) => {
      const dim = sub(d)
      return one(dim, 2) !== undefined ? str(dim, 2) : int(dim, 1)
    }),
  }
}

/** Reads the bytes of an ONNX `ModelProto`. */
export const readModel = (bytes: Uint8Array): ReadModel => {
  const m = readFields(bytes)
  const g = sub(one(m, 7)!)
  return {
    irVersion: int(m, 1),
    opsets: all(m, 8).map((f) => {
      const o = sub(f)
      return { domain: str(o, 1), version: int(o, 2) }
    }),
    producerName: str(m, 2),
    producerVersion: str(m, 3),
    modelVersion: int(m, 5),
    docString: str(m, 6),
    metadata: Object.fromEntries(
      all(m, 14).map((f) => {
        const e = sub(f)
        return [str(e, 1), str(e, 2)]
      }),
    ),
    graph: {
      name: str(g, 2),
      nodes: all(g, 1).map((f) => {
        const n = sub(f)
        return {
          name: str(n, 3),
          opType: str(n, 4),
          inputs: all(n, 1).map((x) => text.decode(x.value as Uint8Array)),
          outputs: all(n, 2).map((x) => text.decode(x.value as Uint8Array)),
          attributes: Object.fromEntries(
            all(n, 5).map((a) => {
              const fs = sub(a)
              const f32 = one(fs, 2)
              return [
                str(fs, 1),
                {
                  type: int(fs, 20),
                  ...(f32 === undefined
                    ? {}
                    : { f: new DataView((f32.value as Uint8Array).buffer).getFloat32(0, true) }),
                  ...(one(fs, 3) === undefined ? {} : { i: int(fs, 3) }),
                },
              ]
            }),
          ),
        }
      }),
      initializers: all(g, 5).map((f) => {
        const t = sub(f)
        return {
          name: str(t, 8),
          dims: all(t, 1).map((d) => Number(asInt64(d.value as bigint))),
          dataType: int(t, 2),
          raw: (one(t, 9)?.value as Uint8Array | undefined) ?? new Uint8Array(0),
        }
      }),
      inputs: all(g, 11).map((f) => valueInfo(sub(f))),
      outputs: all(g, 12).map((f) => valueInfo(sub(f))),
    },
  }
}
