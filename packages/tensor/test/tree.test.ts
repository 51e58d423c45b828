import fc from "fast-check"
import { describe, expect, expectTypeOf, it } from "vitest"
import * as tree from "../src/tree.ts"
import type { MapLeaves, Tree } from "../src/tree.ts"
import { Tensor } from "../src/tensor.ts"
import { TensorError } from "../src/errors.ts"

// ---------------------------------------------------------------------------------------------
// arbitraries and naive references
// ---------------------------------------------------------------------------------------------

const scalar = (v: number): Tensor => new Tensor("float32", [1], Float32Array.of(v))

/** Keys that stress records: prototype names, dots, backslashes, digits, the empty key. */
const keyArb = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.constantFrom("__proto__", "constructor", "toString", "a.b", "\\", "", "0", "10", "2"),
)

const treeOf = <L>(leaf: fc.Arbitrary<L>): fc.Arbitrary<Tree<L>> =>
  fc.letrec<{ tree: Tree<L>; array: Tree<L>[]; record: Record<string, Tree<L>> }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.constant(null),
      fc.constant(undefined),
      tie("array"),
      tie("record"),
    ),
    array: fc.array(tie("tree"), { maxLength: 4 }),
    record: fc.dictionary(keyArb, tie("tree"), { maxKeys: 4 }),
  })).tree

const tensorTree = treeOf(fc.integer({ min: -100, max: 100 }).map(scalar))
const numberTree = treeOf(fc.integer())
const isNumber = (x: unknown): x is number => typeof x === "number"

const isPlainRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" &&
  x !== null &&
  !Array.isArray(x) &&
  !(x instanceof Tensor) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(x) as object | null)

/** Deep equality of trees, with leaves compared by `same` and records by their own keys. */
const sameTree = (
  a: unknown,
  b: unknown,
  isLeaf: (x: unknown) => boolean,
  same: (x: unknown, y: unknown) => boolean = Object.is,
): boolean => {
  if (isLeaf(a) || isLeaf(b)) return isLeaf(a) && isLeaf(b) && same(a, b)
  if (Array.isArray(a))
    return (
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => sameTree(x, b[i], isLeaf, same))
    )
  if (isPlainRecord(a)) {
    if (!isPlainRecord(b)) return false
    const ka = Object.keys(a).sort()
    const kb = Object.keys(b).sort()
    return (
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && sameTree(a[k], b[k], isLeaf, same))
    )
  }
  return Object.is(a, b)
}

/** Leaves in depth-first order with records by sorted key, and their dotted paths. */
const leavesRef = (t: unknown, isLeaf: (x: unknown) => boolean): Array<[unknown, string[]]> => {
  const out: Array<[unknown, string[]]> = []
  const go = (x: unknown, path: string[]): void => {
    if (isLeaf(x)) out.push([x, path])
    else if (Array.isArray(x)) x.forEach((c, i) => go(c, [...path, String(i)]))
    else if (isPlainRecord(x)) for (const k of Object.keys(x).sort()) go(x[k], [...path, k])
  }
  go(t, [])
  return out
}

const isTensor = (x: unknown): boolean => x instanceof Tensor

const expectTreeError = (f: () => unknown, op: string, ...fragments: string[]): void => {
  let error: unknown
  try {
    f()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(TensorError)
  const message = (error as Error).message
  expect(message).toContain(op)
  for (const fragment of fragments) expect(message).toContain(fragment)
}

// ---------------------------------------------------------------------------------------------
// laws
// ---------------------------------------------------------------------------------------------

describe("flatten and unflatten", () => {
  it("rebuild the tree: unflatten(flatten(t)) ≅ t", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        const [xs, def] = tree.flatten(t)
        expect(def.numLeaves).toBe(xs.length)
        expect(sameTree(tree.unflatten(def, xs), t, isTensor)).toBe(true)
      }),
    )
  })

  it("list leaves depth first, arrays by index and records by sorted key", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        const ref = leavesRef(t, isTensor)
        expect(tree.leaves(t)).toEqual(ref.map(([x]) => x))
        expect(tree.flatten(t)[0]).toEqual(ref.map(([x]) => x))
      }),
    )
  })

  it("do not depend on the order a record was built in", () => {
    const [a, b, c] = [scalar(1), scalar(2), scalar(3)]
    const one = { w: a, b, layers: [c] }
    const two = { layers: [c], b, w: a }
    expect(tree.leaves(one)).toEqual([b, c, a])
    expect(tree.leaves(two)).toEqual([b, c, a])
    expect(tree.flatten(one)[1].equals(tree.flatten(two)[1])).toBe(true)
  })

  it("put any values back in the leaves' places", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        const [xs, def] = tree.flatten(t)
        const numbered = tree.unflatten(
          def,
          xs.map((_, i) => i),
        )
        expect(tree.leaves(numbered, { isLeaf: isNumber })).toEqual(xs.map((_, i) => i))
        const zeros = tree.map(t, () => 0)
        expect(tree.structureEquals(numbered, zeros, { isLeaf: isNumber })).toBe(true)
      }),
    )
  })

  it("refuse a wrong number of leaves", () => {
    const [, def] = tree.flatten({ a: scalar(1), b: [scalar(2)] })
    expectTreeError(() => tree.unflatten(def, [1]), "tree.unflatten", "2 leaves", "got 1")
    expectTreeError(() => tree.unflatten(def, [1, 2, 3]), "tree.unflatten", "got 3")
  })

  it("describe the structure", () => {
    const [, def] = tree.flatten({ w: scalar(1), b: [scalar(2), null], c: undefined })
    expect(def.toString()).toBe('TreeDef({"b": [*, null], "c": undefined, "w": *})')
  })
})

describe("map", () => {
  it("keeps a tree when mapping the identity", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        expect(
          sameTree(
            tree.map(t, (x) => x),
            t,
            isTensor,
          ),
        ).toBe(true)
      }),
    )
  })

  it("composes: map(map(t, f), g) ≅ map(t, g ∘ f)", () => {
    const f = (x: number): number => 2 * x + 1
    const g = (x: number): string => `#${x}`
    fc.assert(
      fc.property(numberTree, (t) => {
        const opts = { isLeaf: isNumber }
        const twice = tree.map(tree.map(t, f, opts), g, opts)
        const once = tree.map(t, (x) => g(f(x)), opts)
        expect(sameTree(twice, once, (x) => typeof x === "string")).toBe(true)
      }),
    )
  })

  it("visits leaves in the order of leaves, with their paths", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        const seen: Array<[Tensor, string]> = []
        tree.map(t, (x, path) => seen.push([x, path]))
        expect(seen.map(([x]) => x)).toEqual(tree.leaves(t))
        expect(seen.map(([, p]) => p)).toEqual(tree.paths(t))
      }),
    )
  })

  it("keeps null and undefined as empty nodes", () => {
    expect(tree.leaves(null)).toEqual([])
    expect(tree.leaves(undefined)).toEqual([])
    expect(tree.map({ a: null, b: [undefined] }, () => 1)).toEqual({ a: null, b: [undefined] })
    expect(tree.map({ a: null, b: [undefined] }, () => 1)).toHaveProperty("a", null)
    expect("0" in tree.map([undefined], () => 1)).toBe(true)
  })

  it("returns plain records and arrays built afresh", () => {
    const w = scalar(1)
    const t = { layer: { w }, list: [w] } as const
    const u = tree.map(t, (x) => x)
    expect(u).not.toBe(t)
    expect(u.layer).not.toBe(t.layer)
    expect(u.list).not.toBe(t.list)
    expect(u.layer.w).toBe(w)
    expect(Object.getPrototypeOf(u.layer)).toBe(Object.prototype)
  })
})

describe("paths", () => {
  it("join keys and indices with dots", () => {
    const t = {
      layers: [
        { w: scalar(1), b: scalar(2) },
        { w: scalar(3), b: scalar(4) },
      ],
      out: scalar(5),
    }
    expect(tree.paths(t)).toEqual(["layers.0.b", "layers.0.w", "layers.1.b", "layers.1.w", "out"])
    expect(tree.paths(scalar(1))).toEqual([""])
    expect(tree.paths([[scalar(1)]])).toEqual(["0.0"])
  })

  it("escape dots and backslashes inside keys, so paths never collide", () => {
    const x = scalar(0)
    expect(tree.paths({ "a.b": x, a: { b: x }, "a\\": { b: x } })).toEqual([
      "a.b",
      "a\\.b",
      "a\\\\.b",
    ])
    expect(tree.paths({ "": { a: x }, a: x })).toEqual([".a", "a"])
    fc.assert(
      fc.property(tensorTree, (t) => {
        const ps = tree.paths(t)
        expect(new Set(ps).size).toBe(ps.length)
        // undoing the escapes recovers the reference's key path
        const segmentsOf = (p: string): string[] => {
          const out = [""]
          for (let i = 0; i < p.length; i++) {
            const c = p[i]!
            if (c === "\\") out[out.length - 1] += p[++i] ?? ""
            else if (c === ".") out.push("")
            else out[out.length - 1] += c
          }
          return out
        }
        const ref = leavesRef(t, isTensor).map(([, path]) => (path.length === 0 ? [""] : path))
        expect(ps.map(segmentsOf)).toEqual(ref)
      }),
    )
  })
})

describe("zipWith", () => {
  it("zips a tree with itself leaf by leaf", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        const pairs = tree.zipWith(t, t, (a, b) => [a, b] as const)
        const pairLeaves = tree.leaves(pairs, {
          isLeaf: (x): x is readonly [Tensor, Tensor] =>
            Array.isArray(x) && x.length === 2 && isTensor(x[0]) && isTensor(x[1]),
        })
        expect(pairLeaves).toEqual(tree.leaves(t).map((x) => [x, x]))
        expect(
          tree.structureEquals(
            tree.zipWith(t, t, (a) => a),
            t,
          ),
        ).toBe(true)
      }),
    )
  })

  it("agrees with map when the second tree is a map of the first", () => {
    fc.assert(
      fc.property(numberTree, (t) => {
        const opts = { isLeaf: isNumber }
        const doubled = tree.map(t, (x) => 2 * x, opts)
        const zipped = tree.zipWith(t, doubled, (x, y, path) => `${path}:${x + y}`, opts)
        const mapped = tree.map(t, (x, path) => `${path}:${3 * x}`, opts)
        expect(sameTree(zipped, mapped, (x) => typeof x === "string")).toBe(true)
      }),
    )
  })

  it("names the path where the structures differ", () => {
    const x = scalar(1)
    expectTreeError(
      () => tree.zipWith({ a: { b: [x, x] } }, { a: { b: [x] } }, (p) => p),
      "tree.zipWith",
      '"a.b"',
      "length 2",
      "length 1",
    )
    expectTreeError(
      () => tree.zipWith({ w: x, b: x }, { w: x }, (p) => p),
      "tree.zipWith",
      "at the root",
      "only there: [b]",
    )
    expectTreeError(
      () => tree.zipWith({ layers: [{ w: x }] }, { layers: [{ w: [x] }] }, (p) => p),
      "tree.zipWith",
      '"layers.0.w"',
      "a leaf",
      "an array of length 1",
    )
    expectTreeError(() => tree.zipWith([null], [undefined], (p) => p), "tree.zipWith", '"0"')
  })

  it("throws exactly when the structures differ", () => {
    fc.assert(
      fc.property(tensorTree, tensorTree, (a, b) => {
        let threw = false
        try {
          tree.zipWith(a, b, (x) => x)
        } catch (e) {
          expect(e).toBeInstanceOf(TensorError)
          threw = true
        }
        expect(threw).toBe(!tree.structureEquals(a, b))
      }),
    )
  })

  it("zips any number of trees with zipAllWith", () => {
    const opts = { isLeaf: isNumber }
    const sum = tree.zipAllWith(
      [
        { a: 1, b: [2] },
        { a: 10, b: [20] },
        { b: [200], a: 100 },
      ],
      (xs) => xs.reduce((s, x) => s + x, 0),
      opts,
    )
    expect(sum).toEqual({ a: 111, b: [222] })
    expectTreeError(
      () => tree.zipAllWith([{ a: 1 }, { a: 1 }, { a: [1] }], (xs) => xs, opts),
      "tree.zipAllWith",
      "tree 3",
    )
  })
})

describe("structureEquals", () => {
  it("is reflexive and ignores leaf values", () => {
    fc.assert(
      fc.property(tensorTree, (t) => {
        expect(tree.structureEquals(t, t)).toBe(true)
        expect(
          tree.structureEquals(
            t,
            tree.map(t, () => scalar(7)),
          ),
        ).toBe(true)
      }),
    )
  })

  it("agrees with a naive structural comparison", () => {
    fc.assert(
      fc.property(tensorTree, tensorTree, (a, b) => {
        expect(tree.structureEquals(a, b)).toBe(sameTree(a, b, isTensor, () => true))
      }),
    )
  })

  it("detects a change anywhere in the tree", () => {
    const edits = fc.constantFrom("leaf→null", "add key", "grow array", "null→undefined")
    fc.assert(
      fc.property(tensorTree, edits, fc.nat(), (t, edit, pick) => {
        const applies = (x: unknown): boolean =>
          (edit === "leaf→null" && isTensor(x)) ||
          (edit === "add key" && isPlainRecord(x)) ||
          (edit === "grow array" && Array.isArray(x)) ||
          (edit === "null→undefined" && x === null)
        const candidates = leavesRef(t, applies).length
        fc.pre(candidates > 0)
        // apply the edit at the chosen node (depth first, records by sorted key)
        const target = pick % candidates
        let count = 0
        const go = (x: unknown): unknown => {
          if (applies(x) && count++ === target) {
            if (edit === "leaf→null") return null
            if (edit === "null→undefined") return undefined
            if (Array.isArray(x)) return [...(x as unknown[]), null]
            const r = x as Record<string, unknown>
            const fresh = Object.keys(r).join("|") + "#"
            return Object.defineProperty({ ...r }, fresh, { value: null, enumerable: true })
          }
          if (Array.isArray(x)) return x.map(go)
          if (isPlainRecord(x)) {
            const out: Record<string, unknown> = {}
            for (const k of Object.keys(x).sort())
              Object.defineProperty(out, k, { value: go(x[k]), enumerable: true })
            return out
          }
          return x
        }
        const u = go(t) as Tree
        expect(tree.structureEquals(t, u)).toBe(false)
        expect(() => tree.zipWith(t, u, (x) => x)).toThrow(TensorError)
      }),
      { numRuns: 200 },
    )
  })

  it("tells null from undefined and from an empty array or record", () => {
    expect(tree.structureEquals(null, undefined)).toBe(false)
    expect(tree.structureEquals([], {})).toBe(false)
    expect(tree.structureEquals(null, [])).toBe(false)
    expect(tree.structureEquals({ a: undefined }, {})).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// leaves, prototypes and bad inputs
// ---------------------------------------------------------------------------------------------

describe("leaf detection", () => {
  it("takes tensors as leaves by default and anything with isLeaf", () => {
    const x = scalar(1)
    expect(tree.leaves({ a: [x, null], b: x })).toEqual([x, x])
    expect(tree.leaves({ a: [1, 2], b: 3 }, { isLeaf: isNumber })).toEqual([1, 2, 3])
    // isLeaf is asked first, so it can stop at a container
    const pairs = { a: [1, 2], b: [[3, 4]] }
    const isPair = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNumber)
    expect(tree.leaves(pairs, { isLeaf: isPair })).toEqual([
      [1, 2],
      [3, 4],
    ])
  })

  it("refuses values that are neither leaves nor nodes, naming the path", () => {
    const x = scalar(1)
    const bad = (v: unknown): Tree => ({ a: [x, v] }) as Tree
    expectTreeError(() => tree.leaves(bad(3)), "tree.leaves", '"a.1"', "a number", "isLeaf")
    expectTreeError(() => tree.map(bad("s"), (t) => t), "tree.map", "a string")
    expectTreeError(() => tree.flatten(bad(new Map())), "tree.flatten", "Map")
    expectTreeError(() => tree.paths(bad(new Float32Array(2))), "tree.paths", "Float32Array")
    expectTreeError(
      () =>
        tree.structureEquals(
          bad(() => 1),
          bad(1),
        ),
      "tree.structureEquals",
    )
    expectTreeError(() => tree.leaves(3 as unknown as Tree), "tree.leaves", "at the root")
  })

  it("reports a cycle instead of overflowing the stack", () => {
    const a: Record<string, unknown> = { x: scalar(1) }
    a.self = { back: a }
    expectTreeError(() => tree.leaves(a as Tree), "tree.leaves", "cycle", '"self.back"')
    expectTreeError(() => tree.map(a as Tree, (v) => v), "tree.map", "cycle")
    const xs: unknown[] = []
    xs.push(xs)
    expectTreeError(() => tree.zipWith(xs as Tree, xs as Tree, (v) => v), "tree.zipWith", "cycle")
  })

  it("allows shared subtrees that are not cycles", () => {
    const shared = { w: scalar(1) }
    expect(tree.paths({ a: shared, b: shared })).toEqual(["a.w", "b.w"])
  })
})

describe("__proto__ and other awkward keys", () => {
  it("are ordinary keys, read and written as own properties", () => {
    const x = scalar(1)
    const t = JSON.parse('{"__proto__": {"w": 0}, "constructor": 1}') as Tree<number>
    const withTensors = tree.map(t, () => x, { isLeaf: isNumber }) as Record<string, Tree>
    expect(Object.getPrototypeOf(withTensors)).toBe(Object.prototype)
    expect(Object.keys(withTensors)).toEqual(["__proto__", "constructor"])
    expect(Object.getOwnPropertyDescriptor(withTensors, "__proto__")?.value).toEqual({ w: x })
    expect(tree.paths(withTensors)).toEqual(["__proto__.w", "constructor"])
    const [leaves, def] = tree.flatten(withTensors)
    const back = tree.unflatten(def, leaves) as Record<string, unknown>
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(Object.hasOwn(back, "__proto__")).toBe(true)
    expect(({} as Record<string, unknown>).w).toBeUndefined()
  })

  it("work in null-prototype records", () => {
    const r = Object.create(null) as Record<string, unknown>
    r.b = scalar(2)
    r.a = scalar(1)
    expect(tree.paths(r as Tree)).toEqual(["a", "b"])
  })
})

// ---------------------------------------------------------------------------------------------
// types (checked by tsc)
// ---------------------------------------------------------------------------------------------

describe("types", () => {
  it("keep the structure of typed parameter trees", () => {
    type Params = { readonly w: Tensor; readonly b: Tensor }
    const p: Params = { w: scalar(1), b: scalar(2) }
    const shapes = tree.map(p, (x) => x.shape)
    expectTypeOf(shapes).toEqualTypeOf<{
      readonly w: readonly number[]
      readonly b: readonly number[]
    }>()
    const net = { layers: [p, p] as const, scale: scalar(3) }
    const counts = tree.map(net, () => 0)
    expectTypeOf(counts.layers[1].w).toEqualTypeOf<number>()
    expectTypeOf(counts.scale).toEqualTypeOf<number>()
    const [xs, def] = tree.flatten(p)
    expectTypeOf(xs).toEqualTypeOf<Tensor[]>()
    expectTypeOf(tree.unflatten(def, ["a", "b"])).toEqualTypeOf<{
      readonly w: string
      readonly b: string
    }>()
    expectTypeOf(tree.zipWith(p, p, (a, b) => a === b)).toEqualTypeOf<{
      readonly w: boolean
      readonly b: boolean
    }>()
    const generic: Tree = p
    const mapped: Tree<number> = tree.map(generic, () => 1)
    expectTypeOf<MapLeaves<{ a: [Tensor, null] }, string>>().toEqualTypeOf<{ a: [string, null] }>()
    expect(tree.leaves(mapped, { isLeaf: isNumber })).toEqual([1, 1])
    expect(tree.leaves(counts, { isLeaf: isNumber })).toEqual([0, 0, 0, 0, 0])
  })
})
