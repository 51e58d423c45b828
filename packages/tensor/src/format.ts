/**
 * Printing tensors for people, NumPy style: `tensor([[1, 2], [3, 4]], float32)`.
 * @module
 */
import type { Tensor } from "./tensor.ts"

const maxElements = 1000
const edgeItems = 3

const formatNumber = (v: number, isInt: boolean): string => {
  if (isInt || Number.isInteger(v)) return String(v)
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)))
}

/** Renders a tensor with its values (summarised past 1000 elements) and dtype. */
export const format = (x: Tensor): string => {
  const { shape, dtype } = x
  const data = x.data
  const isInt = dtype === "int32"
  const summarise = x.size > maxElements
  const strides: number[] = []
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc
    acc *= shape[i]!
  }
  const render = (axis: number, offset: number, indent: string): string => {
    if (axis === shape.length) return formatNumber(data[offset]!, isInt)
    const n = shape[axis]!
    const stride = strides[axis]!
    const idx: Array<number | "..."> = []
    if (summarise && n > 2 * edgeItems) {
      for (let i = 0; i < edgeItems; i++) idx.push(i)
      idx.push("...")
      for (let i = n - edgeItems; i < n; i++) idx.push(i)
    } else for (let i = 0; i < n; i++) idx.push(i)
    const parts = idx.map((i) =>
      i === "..." ? "..." : render(axis + 1, offset + i * stride, indent + " "),
    )
    const sep = axis === shape.length - 1 ? ", " : ",\n" + indent + " "
    return "[" + parts.join(sep) + "]"
  }
  return `tensor(${render(0, 0, "       ")}, ${dtype})`
}
