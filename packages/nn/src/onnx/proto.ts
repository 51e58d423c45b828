/**
 * The ONNX messages an exported network uses, as plain values, and their protobuf encoding.
 * Field numbers are those of `onnx.proto` (ONNX 1.12, IR version 8); fields fnn never sets are
 * left out of the types.
 * @module
 */
import type { Field } from "./protobuf.ts"
import { bytesField, floatField, intField, message, stringField } from "./protobuf.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** `TensorProto.DataType` values of the element types fnn writes. */
export const elementType = { float32: 1, int32: 6, int64: 7, float64: 11 } as const

/** An element type fnn writes. */
export type ElementType = keyof typeof elementType

/** A tensor with its data, written as little-endian `raw_data`. */
export interface TensorValue {
  readonly name: string
  readonly type: ElementType
  readonly dims: ReadonlyArray<number>
  /** Numbers for float32, float64 and int32; bigints or safe integers for int64. */
  readonly data: ArrayLike<number> | ReadonlyArray<bigint>
}

/** An axis of a declared shape: a size, or a name for a size known only when run (`batch`). */
export type Dimension = number | string

/** A graph input or output: a name, an element type and a shape. */
export interface ValueInfo {
  readonly name: string
  readonly type: ElementType
  readonly shape: ReadonlyArray<Dimension>
}

/** An attribute of a node. */
export type Attribute =
  | { readonly name: string; readonly kind: "int"; readonly value: number }
  | { readonly name: string; readonly kind: "float"; readonly value: number }
  | { readonly name: string; readonly kind: "ints"; readonly value: ReadonlyArray<number> }
  | { readonly name: string; readonly kind: "floats"; readonly value: ReadonlyArray<number> }
  | { readonly name: string; readonly kind: "string"; readonly value: string }

/** One operator application. */
export interface NodeValue {
  readonly name: string
  readonly opType: string
  readonly inputs: ReadonlyArray<string>
  readonly outputs: ReadonlyArray<string>
  readonly attributes: ReadonlyArray<Attribute>
}

/** A graph: nodes in topological order, constant tensors, inputs and outputs. */
export interface GraphValue {
  readonly name: string
  readonly nodes: ReadonlyArray<NodeValue>
  readonly initializers: ReadonlyArray<TensorValue>
  readonly inputs: ReadonlyArray<ValueInfo>
  readonly outputs: ReadonlyArray<ValueInfo>
}

/** A whole model file. */
export interface ModelValue {
  readonly irVersion: number
  /** The default (`ai.onnx`) operator set version. */
  readonly opset: number
  readonly producerName: string
  readonly producerVersion: string
  readonly modelVersion: number
  readonly docString: string
  readonly graph: GraphValue
  readonly metadata: Readonly<Record<string, string>>
}

// -------------------------------------------------------------------------------------------
// encoding
// -------------------------------------------------------------------------------------------

const attributeType = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const

const utf8 = new TextEncoder()

const rawData = (t: TensorValue): Uint8Array => {
  const n = t.data.length
  const width = t.type === "float32" || t.type === "int32" ? 4 : 8
  const out = new Uint8Array(n * width)
  const view = new DataView(out.buffer)
  for (let i = 0; i < n; i++) {
    const v = t.data[i]!
    switch (t.type) {
      case "float32":
        view.setFloat32(i * 4, Number(v), true)
        break
      case "int32":
        view.setInt32(i * 4, Number(v), true)
        break
      case "float64":
        view.setFloat64(i * 8, Number(v), true)
        break
      case "int64":
        view.setBigInt64(i * 8, typeof v === "bigint" ? v : BigInt(v), true)
        break
    }
  }
  return out
}

/** `TensorProto`: dims 1, data_type 2, name 8, raw_data 9. */
export const encodeTensor = (t: TensorValue): Uint8Array =>
  message([
    ...t.dims.map((d) => intField(1, d)),
    intField(2, elementType[t.type]),
    stringField(8, t.name),
    bytesField(9, rawData(t)),
  ])

/** `TensorShapeProto.Dimension`: dim_value 1 or dim_param 2. */
const encodeDimension = (d: Dimension): Uint8Array =>
  message([typeof d === "number" ? intField(1, d) : stringField(2, d)])

/** `ValueInfoProto` (name 1, type 2) of a `TypeProto` (tensor_type 1) of a `TypeProto.Tensor`
 * (elem_type 1, shape 2) of a `TensorShapeProto` (dim 1). */
export const encodeValueInfo = (v: ValueInfo): Uint8Array => {
  const shape = message(v.shape.map((d) => bytesField(1, encodeDimension(d))))
  const tensorType = message([intField(1, elementType[v.type]), bytesField(2, shape)])
  return message([stringField(1, v.name), bytesField(2, message([bytesField(1, tensorType)]))])
}

/** `AttributeProto`: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20. */
export const encodeAttribute = (a: Attribute): Uint8Array => {
  const value: Field[] = (() => {
    switch (a.kind) {
      case "float":
        return [floatField(2, a.value)]
      case "int":
        return [intField(3, a.value)]
      case "string":
        return [bytesField(4, utf8.encode(a.value))]
      case "floats":
        return a.value.map((f) => floatField(7, f))
      case "ints":
        return a.value.map((i) => intField(8, i))
    }
  })()
  return message([stringField(1, a.name), ...value, intField(20, attributeType[a.kind])])
}

/** `NodeProto`: input 1, output 2, name 3, op_type 4, attribute 5. */
export const encodeNode = (n: NodeValue): Uint8Array =>
  message([
    ...n.inputs.map((i) => stringField(1, i)),
    ...n.outputs.map((o) => stringField(2, o)),
    stringField(3, n.name),
    stringField(4, n.opType),
    ...n.attributes.map((a) => bytesField(5, encodeAttribute(a))),
  ])

/** `GraphProto`: node 1, name 2, initializer 5, input 11, output 12. */
export const encodeGraph = (g: GraphValue): Uint8Array =>
  message([
    ...g.nodes.map((n) => bytesField(1, encodeNode(n))),
    stringField(2, g.name),
    ...g.initializers.map((t) => bytesField(5, encodeTensor(t))),
    ...g.inputs.map((v) => bytesField(11, encodeValueInfo(v))),
    ...g.outputs.map((v) => bytesField(12, encodeValueInfo(v))),
  ])

/**
 * `ModelProto`: ir_version 1, producer_name 2, producer_version 3, model_version 5,
 * doc_string 6, graph 7, opset_import 8 (`OperatorSetIdProto`: domain 1, version 2; the empty
 * domain is `ai.onnx`), metadata_props 14 (`StringStringEntryProto`: key 1, value 2).
 */
export const encodeModel = (m: ModelValue): Uint8Array =>
  message([
    intField(1, m.irVersion),
    stringField(2, m.producerName),
    stringField(3, m.producerVersion),
    intField(5, m.modelVersion),
    stringField(6, m.docString),
    bytesField(7, encodeGraph(m.graph)),
    bytesField(8, message([stringField(1, ""), intField(2, m.opset)])),
    ...Object.keys(m.metadata)
      .sort()
      .map((k) => bytesField(14, message([stringField(1, k), stringField(2, m.metadata[k]!)]))),
  ])
