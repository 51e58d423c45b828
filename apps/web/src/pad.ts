/**
 * The drawing pad: white ink on black, drawn with a mouse, a pen or a finger (pointer events),
 * at a fixed resolution of 280 × 280 whatever its size on screen, so the same strokes give the
 * same picture everywhere.
 * @module
 */
import type { GreyImage } from "./input.ts"
import { greyOf } from "./input.ts"

/** The pad's resolution: ten canvas pixels for each of the 28 × 28 MNIST pixels. */
export const padSize = 280
/** The brush's width in pad pixels: about two MNIST pixels, like a pen stroke in MNIST. */
export const brushWidth = 20

/** A drawing surface that tells `onChange` whenever its picture changes. */
export class DrawingPad {
  private readonly ctx: CanvasRenderingContext2D
  private last: { x: number; y: number } | undefined
  private blank = true

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    canvas.width = padSize
    canvas.height = padSize
    const ctx = canvas.getContext("2d", { willReadFrequently: true })
    if (ctx === null) throw new Error("this browser cannot draw on a canvas")
    this.ctx = ctx
    ctx.lineCap = "round"
    ctx.lineJoin = "round"
    this.wipe()
    canvas.addEventListener("pointerdown", (e) => this.down(e))
    canvas.addEventListener("pointermove", (e) => this.move(e))
    canvas.addEventListener("pointerup", () => this.up())
    canvas.addEventListener("pointercancel", () => this.up())
  }

  /** Whether nothing has been drawn since the last `clear`. */
  get isBlank(): boolean {
    return this.blank
  }

  /** Wipes the pad. */
  clear(): void {
    this.wipe()
    this.blank = true
    this.onChange()
  }

  /** Replaces the drawing with a 28 × 28 digit (grey levels 0–255), scaled up smoothly. */
  load(pixels: Uint8Array): void {
    const small = document.createElement("canvas")
    small.width = 28
    small.height = 28
    const sctx = small.getContext("2d")
    if (sctx === null) return
    const rgba = new Uint8ClampedArray(28 * 28 * 4)
    for (let i = 0; i < 28 * 28; i++) {
      rgba.fill(pixels[i]!, 4 * i, 4 * i + 3)
      rgba[4 * i + 3] = 255
    }
    sctx.putImageData(new ImageData(rgba, 28, 28), 0, 0)
    this.wipe()
    this.ctx.imageSmoothingEnabled = true
    this.ctx.imageSmoothingQuality = "high"
    this.ctx.drawImage(small, 0, 0, padSize, padSize)
    this.blank = false
    this.onChange()
  }

  /** The picture as grey levels, `padSize × padSize`. */
  grey(): GreyImage {
    return greyOf(this.ctx.getImageData(0, 0, padSize, padSize).data, padSize, padSize)
  }

  private wipe(): void {
    this.ctx.fillStyle = "#000"
    this.ctx.fillRect(0, 0, padSize, padSize)
  }

  /** The event's position in pad pixels. */
  private at(e: PointerEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect()
    return {
      x: ((e.clientX - box.left) / box.width) * padSize,
      y: ((e.clientY - box.top) / box.height) * padSize,
    }
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return
    e.preventDefault()
    this.canvas.setPointerCapture(e.pointerId)
    const p = this.at(e)
    this.last = p
    this.stroke(p, p)
  }

  private move(e: PointerEvent): void {
    if (this.last === undefined) return
    e.preventDefault()
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : []
    for (const c of events.length > 0 ? events : [e]) {
      const p = this.at(c)
      this.stroke(this.last, p)
      this.last = p
    }
  }

  private up(): void {
    this.last = undefined
  }

  private stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const { ctx } = this
    ctx.strokeStyle = "#fff"
    ctx.lineWidth = brushWidth
    ctx.beginPath()
    ctx.moveTo(from.x, from.y)
    ctx.lineTo(to.x, to.y)
    ctx.stroke()
    this.blank = false
    this.onChange()
  }
}
