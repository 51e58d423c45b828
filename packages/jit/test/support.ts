import * as T from "@fnn/tensor"

/** Throws unless `a` and `b` have one dtype, one shape and the same bits (NaN equals NaN). */
export const expectSameTensor = (a: T.Tensor, b: T.Tensor, where = ""): void => {
  if (a.dtype !== b.dtype) throw new Error(`${where}dtype ${a.dtype}, expected ${b.dtype}`)
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    throw new Error(`${where}shape [${a.shape.join(", ")}], expected [${b.shape.join(", ")}]`)
  const x = a.data
  const y = b.data
  for (let i = 0; i < y.length; i++)
    if (!Object.is(x[i], y[i]) && !(Number.isNaN(x[i]) && Number.isNaN(y[i])))
      throw new Error(`${where}value ${i} is ${x[i]}, expected ${y[i]}`)
}

/** `expectSameTensor` over two trees of one structure. */
export const expectSameTree = (a: T.Tree, b: T.Tree): void => {
  const [xs, da] = T.tree.flatten(a)
  const [ys, db] = T.tree.flatten(b)
  if (!da.equals(db)) throw new Error(`structure ${da.toString()}, expected ${db.toString()}`)
  const paths = T.tree.paths(b)
  xs.forEach((x, i) => expectSameTensor(x, ys[i]!, `${paths[i]}: `))
}

/** A copy of a tensor's values, to see later that they did not change. */
export const snapshot = (t: T.Tensor): number[] => Array.from(t.data)
