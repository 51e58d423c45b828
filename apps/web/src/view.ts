/**
 * The network drawn as in the video: the input grid, one column of neurons per layer shaded by
 * activation, the strongest edges coloured by the sign and size of weight × activation, the ten
 * outputs with their values. Pointing at a neuron shows its incoming weights as a 28 × 28
 * picture in a card beside it.
 * @module
 */
import {
  activationGrey,
  css,
  greyPicture,
  maxAbs,
  palette,
  signed,
  signedPicture,
} from "./colour.ts"
import type { NetworkLayout, NeuronRef } from "./layout.ts"
import { layoutNetwork, neuronAt, pixelCentre } from "./layout.ts"
import type { Model, Thought } from "./model.ts"
import type { Contribution, DenseWeights } from "./weights.ts"
import { pixelPattern, strongest } from "./weights.ts"

/** How many input → first hidden layer edges to draw (of 784 × 16). */
export const inputEdges = 320
/** How many edges to draw between later layers. */
export const layerEdges = 160

const font = (px: number, weight = 400): string =>
  `${weight} ${px}px ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif`
const serif = (px: number): string =>
  `${px}px "Iowan Old Style", "Palatino Linotype", Palatino, "Book Antiqua", Georgia, serif`

/** A 28 × 28 RGBA picture drawn into `canvas` (whose size it sets). */
export const paintPicture = (
  canvas: HTMLCanvasElement,
  rgba: Uint8ClampedArray<ArrayBuffer>,
): void => {
  canvas.width = 28
  canvas.height = 28
  canvas.getContext("2d")?.putImageData(new ImageData(rgba, 28, 28), 0, 0)
}

/** The activations of each column: the hidden layers, then the outputs. */
const columnsOf = (t: Thought): ReadonlyArray<Float32Array> => [...t.hidden, t.outputs]

/** Values shown as greys: scaled down when a layer (ReLU) goes above 1. */
const greyScale = (values: Float32Array): number => Math.max(1, ...values)

/** Draws the network and answers pointing. */
export class NetworkView {
  private readonly ctx: CanvasRenderingContext2D
  private readonly inputCanvas = document.createElement("canvas")
  private layout: NetworkLayout = layoutNetwork(800, 520, [16, 16, 10])
  private model: Model | undefined
  private thought: Thought | undefined
  private hovered: NeuronRef | undefined

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly card: HTMLElement,
  ) {
    const ctx = canvas.getContext("2d")
    if (ctx === null) throw new Error("this browser cannot draw on a canvas")
    this.ctx = ctx
    new ResizeObserver(() => this.resize()).observe(canvas)
    canvas.addEventListener("pointermove", (e) => this.point(e))
    canvas.addEventListener("pointerdown", (e) => this.point(e))
    canvas.addEventListener("pointerleave", () => this.hover(undefined))
    this.resize()
  }

  /** Shows `model` thinking `thought`. */
  show(model: Model, thought: Thought): void {
    if (this.model !== model) {
      this.model = model
      this.layout = layoutNetwork(this.layout.width, this.layout.height, model.sizes)
      if (this.hovered !== undefined && this.hovered.column >= model.sizes.length)
        this.hovered = undefined
    }
    this.thought = thought
    this.canvas.dataset["hidden"] = thought.hidden
      .map((layer) => Array.from(layer, (v) => v.toFixed(3)).join(","))
      .join("|")
    this.canvas.dataset["prediction"] = String(thought.prediction)
    this.draw()
    this.fillCard()
  }

  private resize(): void {
    const box = this.canvas.getBoundingClientRect()
    const dpr = window.devicePixelRatio || 1
    const w = Math.max(200, Math.round(box.width))
    const h = Math.max(160, Math.round(box.height))
    this.canvas.width = Math.round(w * dpr)
    this.canvas.height = Math.round(h * dpr)
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    this.layout = layoutNetwork(w, h, this.model?.sizes ?? [16, 16, 10])
    this.draw()
    this.fillCard()
  }

  private point(e: PointerEvent): void {
    const box = this.canvas.getBoundingClientRect()
    this.hover(neuronAt(this.layout, e.clientX - box.left, e.clientY - box.top))
  }

  private hover(n: NeuronRef | undefined): void {
    const same =
      n === this.hovered ||
      (n !== undefined &&
        this.hovered !== undefined &&
        n.column === this.hovered.column &&
        n.index === this.hovered.index)
    if (same) return
    this.hovered = n
    this.canvas.style.cursor = n === undefined ? "" : "pointer"
    this.draw()
    this.fillCard()
  }

  private draw(): void {
    const { ctx, layout, model, thought } = this
    ctx.fillStyle = css(palette.background)
    ctx.fillRect(0, 0, layout.width, layout.height)
    if (model === undefined || thought === undefined) return
    const columns = columnsOf(thought)
    const denses = model.stages.map((s) => s.dense)
    this.drawTitles(model)
    this.drawEdges(denses, thought)
    this.drawInput(thought.input)
    layout.columns.forEach((column, c) => {
      const values = columns[c]!
      const scale = greyScale(values)
      column.forEach((n, i) => {
        const isHovered = this.hovered?.column === c && this.hovered.index === i
        ctx.beginPath()
        ctx.arc(n.x, n.y, n.r, 0, 2 * Math.PI)
        ctx.fillStyle = css(activationGrey(values[i]! / scale))
        ctx.fill()
        if (n.r >= 3 || isHovered) {
          ctx.lineWidth = isHovered ? 2.5 : 1.2
          ctx.strokeStyle = isHovered ? css(palette.highlight) : css(palette.ink, 0.55)
          ctx.stroke()
        }
      })
    })
    this.drawOutputLabels(thought)
  }

  private drawTitles(model: Model): void {
    const { ctx, layout } = this
    ctx.fillStyle = css(palette.ink, 0.6)
    ctx.font = font(12)
    ctx.textAlign = "center"
    ctx.textBaseline = "alphabetic"
    const top = Math.min(...layout.columns.map((c) => (c[0] ? c[0].y - c[0].r : Infinity)))
    const y = Math.min(top, layout.grid.y) - 14
    ctx.fillText("784 input pixels", layout.grid.x + layout.grid.side / 2, y)
    const hidden = model.sizes.length - 1
    layout.columns.forEach((column, c) => {
      const x = column[0]?.x ?? 0
      ctx.fillText(c < hidden ? `hidden layer ${c + 1}` : "output", x, y)
    })
  }

  private drawInput(input: Float32Array): void {
    const { ctx, layout } = this
    const { grid } = layout
    paintPicture(this.inputCanvas, greyPicture(input))
    ctx.imageSmoothingEnabled = false
    ctx.drawImage(this.inputCanvas, grid.x, grid.y, grid.side, grid.side)
    ctx.strokeStyle = css(palette.ink, 0.07)
    ctx.lineWidth = 1
    ctx.beginPath()
    for (let k = 1; k < 28; k++) {
      const o = Math.round(k * grid.cell) + 0.5
      ctx.moveTo(grid.x + o, grid.y)
      ctx.lineTo(grid.x + o, grid.y + grid.side)
      ctx.moveTo(grid.x, grid.y + o)
      ctx.lineTo(grid.x + grid.side, grid.y + o)
    }
    ctx.stroke()
    ctx.strokeStyle = css(palette.ink, 0.35)
    ctx.strokeRect(grid.x - 0.5, grid.y - 0.5, grid.side + 1, grid.side + 1)
  }

  /** Where edges into column `c` start: input pixel centres, or the previous column's circles. */
  private source(c: number, i: number): { x: number; y: number } {
    if (c === 0) return pixelCentre(this.layout.grid, i)
    const n = this.layout.columns[c - 1]![i]!
    return { x: n.x + n.r, y: n.y }
  }

  private drawEdges(denses: ReadonlyArray<DenseWeights>, thought: Thought): void {
    const { ctx, layout, hovered } = this
    const sources = [thought.input, ...thought.hidden]
    const dim = hovered === undefined ? 1 : 0.22
    const line = (c: number, e: Contribution, scale: number, alpha: number): void => {
      const { rgb, strength } = signed(e.value, scale)
      const from = this.source(c, e.from)
      const to = layout.columns[c]![e.to]!
      ctx.strokeStyle = css(rgb, alpha * (0.06 + 0.8 * strength))
      ctx.lineWidth = 0.4 + 2 * strength
      ctx.beginPath()
      ctx.moveTo(from.x, from.y)
      ctx.lineTo(to.x - to.r, to.y)
      ctx.stroke()
    }
    denses.forEach((dense, c) => {
      const edges = strongest(dense, sources[c]!, c === 0 ? inputEdges : layerEdges)
      const scale = Math.abs(edges[0]?.value ?? 0)
      for (let k = edges.length - 1; k >= 0; k--) line(c, edges[k]!, scale, dim)
    })
    if (hovered !== undefined) {
      const dense = denses[hovered.column]
      if (dense === undefined) return
      const edges = strongest(dense, sources[hovered.column]!, dense.inputs, hovered.index)
      const scale = Math.abs(edges[0]?.value ?? 0)
      for (let k = edges.length - 1; k >= 0; k--) line(hovered.column, edges[k]!, scale, 1)
    }
  }

  private drawOutputLabels(thought: Thought): void {
    const { ctx, layout } = this
    const column = layout.columns[layout.columns.length - 1] ?? []
    const blank = thought.input.every((v) => v === 0)
    ctx.textBaseline = "middle"
    ctx.textAlign = "left"
    column.forEach((n, i) => {
      const value = thought.outputs[i]!
      const winner = !blank && i === thought.prediction
      ctx.font = serif(Math.max(11, Math.min(20, n.r * 1.5)))
      ctx.fillStyle = winner ? css(palette.highlight) : css(palette.ink, 0.85)
      ctx.fillText(String(i), n.x + n.r + 10, n.y + 1)
      ctx.font = font(11)
      ctx.fillStyle = winner ? css(palette.highlight) : css(palette.ink, 0.45)
      ctx.fillText(value.toFixed(2), n.x + n.r + 28, n.y + 1)
      if (winner) {
        ctx.strokeStyle = css(palette.highlight)
        ctx.lineWidth = 1.5
        ctx.strokeRect(n.x + n.r + 4, n.y - n.r, 58, 2 * n.r)
      }
    })
  }

  /** Fills and places the card of the neuron pointed at, or hides it. */
  private fillCard(): void {
    const { card, model, thought, hovered, layout } = this
    if (model === undefined || thought === undefined || hovered === undefined) {
      card.hidden = true
      return
    }
    const { column, index } = hovered
    const n = layout.columns[column]?.[index]
    const dense = model.stages[column]?.dense
    if (n === undefined || dense === undefined) {
      card.hidden = true
      return
    }
    const hiddenCount = model.sizes.length - 1
    const isOutput = column === hiddenCount
    const pattern = pixelPattern(
      model.stages.map((s) => s.dense),
      column,
      index,
    )
    const title = card.querySelector<HTMLElement>("[data-card=title]")
    const picture = card.querySelector<HTMLCanvasElement>("canvas")
    const caption = card.querySelector<HTMLElement>("[data-card=caption]")
    const numbers = card.querySelector<HTMLElement>("[data-card=numbers]")
    if (title)
      title.textContent = isOutput
        ? `output “${index}”`
        : `layer ${column + 1}, neuron ${index + 1}`
    if (picture) paintPicture(picture, signedPicture(pattern, maxAbs(pattern)))
    if (caption)
      caption.textContent =
        column === 0
          ? "its 784 incoming weights: blue pixels push it up, red ones down"
          : `its weights carried back to the pixels through ${column === 1 ? "layer 1" : `layers 1–${column}`}, σ aside`
    const value = columnsOf(thought)[column]![index]!
    if (numbers)
      numbers.textContent = `${isOutput && model.outputs === "softmax" ? "probability" : "activation"} ${value.toFixed(2)} · bias ${dense.b[index]!.toFixed(2)}`
    card.hidden = false
    const w = card.offsetWidth
    const h = card.offsetHeight
    const right = n.x + n.r + 14
    const x = right + w <= layout.width ? right : n.x - n.r - 14 - w
    const y = Math.min(Math.max(4, n.y - h / 2), layout.height - h - 4)
    card.style.left = `${x}px`
    card.style.top = `${y}px`
  }
}
