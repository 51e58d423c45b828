/**
 * The live accuracy plot of "train in the browser": test accuracy against examples seen, with
 * a tick at each epoch.
 * @module
 */
import { css, palette } from "./colour.ts"

/** One measurement. */
export interface Point {
  readonly examples: number
  readonly accuracy: number
}

const font = '11px ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif'

/** A line plot of accuracy (0–100%) over one training run. */
export class AccuracyPlot {
  private readonly ctx: CanvasRenderingContext2D
  private points: Point[] = []
  private total = 1
  private epochs = 1

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext("2d")
    if (ctx === null) throw new Error("this browser cannot draw on a canvas")
    this.ctx = ctx
    new ResizeObserver(() => this.draw()).observe(canvas)
  }

  /** Starts a new run of `epochs` epochs of `totalExamples` examples in all. */
  reset(totalExamples: number, epochs: number): void {
    this.points = []
    this.total = Math.max(1, totalExamples)
    this.epochs = Math.max(1, epochs)
    this.draw()
  }

  /** Adds a measurement. */
  add(point: Point): void {
    this.points.push(point)
    this.draw()
  }

  private draw(): void {
    const { ctx, canvas, points } = this
    const box = canvas.getBoundingClientRect()
    const dpr = window.devicePixelRatio || 1
    const w = Math.max(100, box.width)
    const h = Math.max(60, box.height)
    canvas.width = Math.round(w * dpr)
    canvas.height = Math.round(h * dpr)
    canvas.dataset["points"] = String(points.length)
    canvas.dataset["accuracy"] =
      points.length > 0 ? points[points.length - 1]!.accuracy.toFixed(4) : ""
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, w, h)
    const left = 40
    const right = 10
    const top = 8
    const bottom = 20
    const x = (examples: number): number => left + ((w - left - right) * examples) / this.total
    const y = (accuracy: number): number => top + (h - top - bottom) * (1 - accuracy)
    ctx.font = font
    ctx.lineWidth = 1
    ctx.textBaseline = "middle"
    ctx.textAlign = "right"
    for (const a of [0, 0.25, 0.5, 0.75, 1]) {
      ctx.strokeStyle = css(palette.ink, a === 0 ? 0.3 : 0.08)
      ctx.beginPath()
      ctx.moveTo(left, Math.round(y(a)) + 0.5)
      ctx.lineTo(w - right, Math.round(y(a)) + 0.5)
      ctx.stroke()
      ctx.fillStyle = css(palette.ink, 0.45)
      ctx.fillText(`${a * 100}%`, left - 6, y(a))
    }
    ctx.textAlign = "center"
    ctx.textBaseline = "top"
    for (let e = 1; e <= this.epochs; e++) {
      const ex = x((this.total * e) / this.epochs)
      ctx.fillStyle = css(palette.ink, 0.45)
      if (this.epochs <= 10 || e % Math.ceil(this.epochs / 10) === 0)
        ctx.fillText(`${e}`, ex, h - bottom + 5)
      ctx.strokeStyle = css(palette.ink, 0.08)
      ctx.beginPath()
      ctx.moveTo(Math.round(ex) + 0.5, top)
      ctx.lineTo(Math.round(ex) + 0.5, h - bottom)
      ctx.stroke()
    }
    ctx.textAlign = "left"
    ctx.fillStyle = css(palette.ink, 0.45)
    ctx.fillText("epoch", left, h - bottom + 5)
    if (points.length === 0) {
      ctx.textAlign = "center"
      ctx.textBaseline = "middle"
      ctx.fillText("test accuracy, live", (left + w - right) / 2, y(0.625))
      return
    }
    ctx.strokeStyle = css(palette.positive)
    ctx.lineWidth = 2
    ctx.lineJoin = "round"
    ctx.beginPath()
    points.forEach((p, i) =>
      i === 0 ? ctx.moveTo(x(p.examples), y(p.accuracy)) : ctx.lineTo(x(p.examples), y(p.accuracy)),
    )
    ctx.stroke()
    const last = points[points.length - 1]!
    ctx.fillStyle = css(palette.positive)
    ctx.beginPath()
    ctx.arc(x(last.examples), y(last.accuracy), 3.5, 0, 2 * Math.PI)
    ctx.fill()
  }
}
