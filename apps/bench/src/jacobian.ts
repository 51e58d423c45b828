/**
 * The Jacobian of the 784-16-16-10 network's output with respect to its input (shape [10, 784]),
 * computed by `jacrev` and `jacfwd` (one batched pass of vjp or jvp over the basis, through
 * `vmap`) and by the loops they replaced (one pullback per output, one jvp per input element).
 * Run by hand: `pnpm --filter @fnn/bench jacobian` (`-- --fast` with the fast kernels).
 * @module
 */
import * as T from "@fnn/tensor"
import { installFastKernels } from "@fnn/tensor/fast"
import { jacfwd, jacrev, jvp, vjp } from "@fnn/autodiff"
import * as nn from "@fnn/nn"
import { measure } from "./harness.ts"

if (process.argv.includes("--fast")) installFastKernels({ threads: 1 })

const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
const [, params] = net.init(T.random.key(0), [-1, 784])
const f = (x: T.Tensor): T.Tensor => net.apply(params, x)
const x = T.random.uniform(T.random.key(1), [784])

const unit = (like: T.Tensor, k: number): T.Tensor => {
  const data = new Float32Array(like.size)
  data[k] = 1
  return new T.Tensor("float32", like.shape, data)
}

/** One pullback per output element, stacked. */
const loopJacrev = (x: T.Tensor): T.Tensor => {
  const [y, pullback] = vjp(f, x)
  const rows = Array.from({ length: y.size }, (_, k) => pullback(unit(y, k))[0])
  return T.reshape(T.stack(rows), [...y.shape, ...x.shape])
}

/** One jvp per input element, stacked. */
const loopJacfwd = (x: T.Tensor): T.Tensor => {
  const cols = Array.from({ length: x.size }, (_, k) => jvp(f, [x], [unit(x, k)])[1])
  return T.reshape(T.stack(cols, 1), [cols[0]!.size, ...x.shape])
}

const maxDiff = (a: T.Tensor, b: T.Tensor): number => T.item(T.max(T.abs(T.sub(a, b))))

const ways: ReadonlyArray<readonly [string, (x: T.Tensor) => T.Tensor]> = [
  ["jacrev (vmap)", jacrev(f)],
  ["jacrev (loop of 10 pullbacks)", loopJacrev],
  ["jacfwd (vmap)", jacfwd(f)],
  ["jacfwd (loop of 784 jvps)", loopJacfwd],
]

const reference = loopJacrev(x)
for (const [name, jac] of ways) {
  const m = measure(() => jac(x), { warmup: 2, reps: 7, minRepMs: 50 })
  const diff = maxDiff(jac(x), reference)
  console.log(
    `${name.padEnd(30)} median ${m.median.toFixed(2).padStart(8)} ms  min ${m.min.toFixed(2).padStart(8)} ms  max |Δ| vs loop ${diff.toExponential(1)}`,
  )
}
