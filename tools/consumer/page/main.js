// Trains the 3Blue1Brown network (784-16-16-10, sigmoid) for 50 steps on one batch of digits
// drawn as bars, and reports the first and last losses in the page's title.
/* global document */
import * as T from "@fnn/tensor"
import { grad } from "@fnn/autodiff"
import * as nn from "@fnn/nn"
import { batches, count } from "@fnn/mnist"

const report = (result) => {
  document.title = `done ${JSON.stringify(result)}`
}

try {
  const n = 64
  const pixels = new Float32Array(n * 784)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const digit = i % 10
    labels[i] = digit
    // digit d is a bright vertical bar at columns 2d…2d+2
    for (let r = 4; r < 24; r++)
      for (let c = 2 * digit + 4; c < 2 * digit + 7; c++) pixels[i * 784 + r * 28 + c] = 1
  }
  const data = {
    images: T.reshape(T.tensor(pixels), [n, 784]),
    labels: T.tensor(labels, { dtype: "int32" }),
    rows: 28,
    cols: 28,
  }
  const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
  const [, params] = net.init(T.random.key(0), [-1, 784])
  const optimizer = nn.momentum(0.5, { beta: 0.9 })
  const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
  let state = nn.trainState(params, optimizer)
  const losses = []
  for (let s = 0; losses.length < 50; s++)
    for (const batch of batches(data, { batchSize: 32, key: T.random.key(s) })) {
      if (losses.length === 50) break
      const r = step(state, batch)
      state = r.state
      losses.push(r.loss)
    }
  const slope = T.item(grad((x) => T.sum(T.mul(x, x)))(T.tensor(3)))
  report({ steps: losses.length, first: losses[0], last: losses[49], examples: count(data), slope })
} catch (e) {
  report({ error: String(e?.stack ?? e) })
}
