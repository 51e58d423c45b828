/**
 * Building an ONNX graph one node at a time. The builder hands out fresh value names, named
 * after the layer that made them (`layers.0/MatMul`), and keeps the constant tensors (the
 * parameters, under their checkpoint names). It accumulates privately and gives back plain,
 * frozen values: nothing outside `buildGraph` ever sees it change.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import type { Shape } from "@fnn/tensor"
import type { Attribute, ElementType, NodeValue, TensorValue } from "./proto.ts"

/** A value flowing through the graph: its name and its fnn shape (`-1` for the batch axis). */
export interface Value {
  readonly name: string
  readonly shape: Shape
}

/** What an export rule may add to the graph. */
export interface GraphBuilder {
  /** The element type of the network's floats. */
  readonly type: ElementType
  /** Adds a node under `scope` (a layer's name); resolves to the name of its one output. */
  node(
    scope: string,
    opType: string,
    inputs: ReadonlyArray<string>,
    attributes?: Attribute[],
  ): string
  /** Adds a constant tensor under `name`, made unique; resolves to the name it got. */
  constant(tensor: TensorValue): string
}

/** The nodes and constants of a built graph, its final value renamed to the output's name. */
export interface BuiltGraph {
  readonly nodes: ReadonlyArray<NodeValue>
  readonly initializers: ReadonlyArray<TensorValue>
}

/**
 * Runs `build` with a fresh builder whose names avoid `input` and `output`, then names its
 * result `output`: the node that made it is renamed, or an `Identity` is added when the result
 * is the input or a constant (a network of `Dropout`s, an empty `serial`).
 */
export const buildGraph = <Err>(
  type: ElementType,
  input: string,
  output: string,
  build: (graph: GraphBuilder) => E.Either<Err, Value>,
): E.Either<Err, BuiltGraph> => {
  const taken = new Set<string>([input, output])
  const nodes: NodeValue[] = []
  const initializers: TensorValue[] = []
  const fresh = (base: string): string => {
    let name = base
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`
    taken.add(name)
    return name
  }
  const graph: GraphBuilder = {
    type,
    node(scope, opType, inputs, attributes = []) {
      const name = fresh(scope === "" ? opType : `${scope}/${opType}`)
      nodes.push({ name, opType, inputs: [...inputs], outputs: [name], attributes })
      return name
    },
    constant(tensor) {
      const name = fresh(tensor.name)
      initializers.push({ ...tensor, name })
      return name
    },
  }
  const r = build(graph)
  if (E.isLeft(r)) return r
  const last = r.right.name
  const producer = nodes.findIndex((n) => n.outputs.includes(last))
  if (producer < 0) graph.node("", "Identity", [last])
  const rename = (n: string): string => (n === last ? output : n)
  const finalNodes =
    producer < 0
      ? nodes.map((n, i) => (i === nodes.length - 1 ? { ...n, outputs: [output] } : n))
      : nodes.map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }))
  return E.right(Object.freeze({ nodes: finalNodes, initializers }))
}
