/**
 * How training reports itself: a live bar per epoch on a terminal (loss, samples/s, ETA), one
 * plain line per epoch otherwise, or one JSON object per line with `--json`. Times are for
 * people only; nothing that decides the model reads the clock.
 * @module
 */
import type { Writer } from "./io.ts"
import { bar, duration, padStart, percent, thousands } from "./render.ts"

/** What one finished epoch reports. */
export interface EpochReport {
  /** 1-based. */
  readonly epoch: number
  readonly epochs: number
  /** The mean training loss over the epoch's batches. */
  readonly loss: number
  readonly testAccuracy: number
  /** Wall-clock seconds of the epoch, testing and saving included (of the part done in this run, after a resume). */
  readonly seconds: number
  /** Training examples per second, over the steps alone. */
  readonly samplesPerSecond: number
}

/** Receives the events of a training run. */
export interface Reporter {
  /** An epoch starts (or resumes at batch `firstBatch`). `epoch` is 1-based. */
  epochStart(epoch: number, epochs: number, batches: number, firstBatch: number): void
  /** `done` batches of the epoch are finished, `samples` examples seen in this run of it. */
  step(done: number, samples: number, meanLoss: number): void
  epochEnd(report: EpochReport): void
  /** Takes a live bar off the screen before other output. */
  clear(): void
}

/** The plain line of a finished epoch. */
export const epochLine = (r: EpochReport): string => {
  const width = String(r.epochs).length
  return (
    `epoch ${padStart(String(r.epoch), width)}/${r.epochs}  loss ${r.loss.toFixed(4)}  ` +
    `test accuracy ${percent(r.testAccuracy)}  ${thousands(r.samplesPerSecond)} samples/s  ${duration(r.seconds)}`
  )
}

/** One plain line per epoch, for logs and pipes. */
export const plainReporter = (out: Writer): Reporter => ({
  epochStart: () => {},
  step: () => {},
  epochEnd: (r) => out.write(`${epochLine(r)}\n`),
  clear: () => {},
})

/** One JSON object per epoch, for programs. */
export const jsonReporter = (out: Writer): Reporter => ({
  epochStart: () => {},
  step: () => {},
  epochEnd: (r) => out.write(`${JSON.stringify({ type: "epoch", ...r })}\n`),
  clear: () => {},
})

/**
 * A bar redrawn in place (carriage return, clear to end of line) at most every `intervalMs`,
 * replaced by the epoch's plain line when it ends.
 */
export const barReporter = (
  out: Writer,
  columns: number,
  now: () => number = () => performance.now(),
  intervalMs = 100,
): Reporter => {
  let epoch = 0
  let epochs = 0
  let total = 0
  let first = 0
  let started = 0
  let lastDraw = 0
  let live = false
  const draw = (done: number, samples: number, meanLoss: number): void => {
    const elapsed = (now() - started) / 1000
    const rate = elapsed > 0 ? samples / elapsed : 0
    const stepsPerSecond = elapsed > 0 ? (done - first) / elapsed : 0
    const eta = stepsPerSecond > 0 ? (total - done) / stepsPerSecond : Number.NaN
    const head = `epoch ${padStart(String(epoch), String(epochs).length)}/${epochs} `
    const tail =
      ` ${padStart(String(Math.floor((100 * done) / Math.max(1, total))), 3)}%` +
      `  loss ${Number.isFinite(meanLoss) ? meanLoss.toFixed(4) : "—"}` +
      `  ${thousands(rate)} samples/s  ETA ${Number.isFinite(eta) ? duration(eta) : "—"}`
    const width = Math.max(10, Math.min(40, columns - head.length - tail.length - 3))
    const filled = bar(done / Math.max(1, total), width)
    out.write(
      `\r${head}▕${filled}${" ".repeat(Math.max(0, width - [...filled].length))}▏${tail}\x1b[K`,
    )
    live = true
  }
  return {
    epochStart(e, es, batches, firstBatch) {
      epoch = e
      epochs = es
      total = batches
      first = firstBatch
      started = now()
      lastDraw = started
      draw(firstBatch, 0, Number.NaN)
    },
    step(done, samples, meanLoss) {
      const t = now()
      if (t - lastDraw < intervalMs && done < total) return
      lastDraw = t
      draw(done, samples, meanLoss)
    },
    epochEnd(r) {
      out.write(`\r\x1b[K${epochLine(r)}\n`)
      live = false
    },
    clear() {
      if (live) out.write("\r\x1b[K")
      live = false
    },
  }
}
