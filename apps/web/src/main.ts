/**
 * The page: wires the drawing pad, the gallery of test digits, the network picture and the
 * training worker together. Everything it shows comes from `think`, rerun once per animation
 * frame while something changes.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { greyPicture } from "./colour.ts"
import { dataFiles } from "./data-files.ts"
import { fetchBytes, fetchIdx, renderFetchIdxError } from "./fetch-idx.ts"
import { toInput } from "./input.ts"
import type { Model } from "./model.ts"
import {
  inputSize,
  loadModel,
  renderModelError,
  reportedAccuracy,
  summary,
  think,
} from "./model.ts"
import { DrawingPad } from "./pad.ts"
import { AccuracyPlot } from "./plot.ts"
import type { TrainReport, TrainRequest } from "./protocol.ts"
import { NetworkView, paintPicture } from "./view.ts"

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`the page has no #${id}`)
  return el as T
}

const dataUrl = (name: string): string => new URL(`data/${name}`, document.baseURI).href
const thousands = (n: number): string => n.toLocaleString("en-US")
const percent = (x: number): string => `${(100 * x).toFixed(1)}%`

const ui = {
  pad: byId<HTMLCanvasElement>("pad"),
  padHint: byId("pad-hint"),
  clear: byId<HTMLButtonElement>("clear"),
  gallery: byId("gallery"),
  network: byId<HTMLCanvasElement>("network"),
  card: byId("neuron-card"),
  prediction: byId("prediction"),
  confidence: byId("confidence"),
  modelInfo: byId("model-info"),
  useShipped: byId<HTMLInputElement>("use-shipped"),
  useTrained: byId<HTMLInputElement>("use-trained"),
  train: byId<HTMLButtonElement>("train"),
  epochs: byId<HTMLSelectElement>("epochs"),
  bar: byId("train-bar"),
  status: byId("train-status"),
  plot: byId<HTMLCanvasElement>("plot"),
  download: byId<HTMLAnchorElement>("download"),
  error: byId("error"),
}

// -------------------------------------------------------------------------------------------
// state
// -------------------------------------------------------------------------------------------

let shipped: Model | undefined
let trained: Model | undefined
let source: "shipped" | "trained" = "shipped"
const active = (): Model | undefined => (source === "trained" ? (trained ?? shipped) : shipped)

const blank = new Float32Array(inputSize)
let scheduled = false

const render = (): void => {
  scheduled = false
  const model = active()
  ui.padHint.hidden = !pad.isBlank
  if (model === undefined) return
  const pixels = pad.isBlank ? blank : (toInput(pad.grey()) ?? blank)
  const thought = think(model, pixels)
  view.show(model, thought)
  const drawn = pixels !== blank
  ui.prediction.textContent = drawn ? String(thought.prediction) : "?"
  ui.prediction.dataset["digit"] = drawn ? String(thought.prediction) : ""
  const top = thought.outputs[thought.prediction]!
  ui.confidence.textContent = !drawn
    ? "draw a digit to see what the network thinks"
    : model.outputs === "softmax"
      ? `${(100 * top).toFixed(top > 0.995 ? 1 : 0)}% sure`
      : `output ${top.toFixed(2)}`
}

/** Asks for a new picture at the next animation frame. */
const refresh = (): void => {
  if (scheduled) return
  scheduled = true
  requestAnimationFrame(render)
}

const pad = new DrawingPad(ui.pad, refresh)
const view = new NetworkView(ui.network, ui.card)
const plot = new AccuracyPlot(ui.plot)

const fail = (message: string): void => {
  ui.error.textContent = message
  ui.error.hidden = false
}

// -------------------------------------------------------------------------------------------
// models
// -------------------------------------------------------------------------------------------

const describeModel = (): void => {
  const model = active()
  if (model === undefined) return
  const reported = reportedAccuracy(model.meta)
  const accuracy =
    reported === undefined
      ? ""
      : ` · ${percent(reported.accuracy)} right on ${thousands(reported.images)} test digits`
  ui.modelInfo.textContent = `${summary(model)} · ${thousands(model.parameters)} weights and biases${accuracy}`
}

const use = (which: "shipped" | "trained"): void => {
  source = which === "trained" && trained !== undefined ? "trained" : "shipped"
  ui.useShipped.checked = source === "shipped"
  ui.useTrained.checked = source === "trained"
  describeModel()
  refresh()
}

ui.useShipped.addEventListener("change", () => use("shipped"))
ui.useTrained.addEventListener("change", () => use("trained"))

const loadShipped = async (): Promise<void> => {
  const bytes = await fetchBytes(new URL("model.safetensors", document.baseURI).href)
  if (E.isLeft(bytes)) return fail(`The network could not be fetched: ${bytes.left}.`)
  const model = loadModel(bytes.right)
  if (E.isLeft(model))
    return fail(`The shipped network cannot be used: ${renderModelError(model.left)}.`)
  shipped = model.right
  use(source)
}

// -------------------------------------------------------------------------------------------
// drawing and the gallery
// -------------------------------------------------------------------------------------------

ui.clear.addEventListener("click", () => pad.clear())
document.addEventListener("keydown", (e) => {
  const typing = e.target instanceof HTMLSelectElement || e.target instanceof HTMLInputElement
  if (!typing && (e.key === "Escape" || e.key === "Backspace" || e.key === "Delete")) pad.clear()
})

const loadGallery = async (): Promise<void> => {
  const [images, labels] = await Promise.all([
    fetchIdx(dataUrl(dataFiles.galleryImages)),
    fetchIdx(dataUrl(dataFiles.galleryLabels)),
  ])
  if (E.isLeft(images)) return fail(renderFetchIdxError(images.left))
  if (E.isLeft(labels)) return fail(renderFetchIdxError(labels.left))
  if (images.right.dtype !== "ubyte" || labels.right.dtype !== "ubyte") return
  const pixels = images.right.data
  labels.right.data.forEach((label, k) => {
    const digit = pixels.subarray(k * inputSize, (k + 1) * inputSize)
    const button = document.createElement("button")
    button.type = "button"
    button.className = "digit"
    button.dataset["label"] = String(label)
    button.title = `Load a ${label} from the MNIST test set`
    button.setAttribute("aria-label", `test digit ${label}`)
    const canvas = document.createElement("canvas")
    paintPicture(canvas, greyPicture(Array.from(digit, (v) => v / 255)))
    button.append(canvas)
    button.addEventListener("click", () => pad.load(digit))
    ui.gallery.append(button)
  })
}

// -------------------------------------------------------------------------------------------
// training in the browser
// -------------------------------------------------------------------------------------------

let worker: Worker | undefined
let runs = 0
let runExamples = 0
let runEpochs = 1
let lastAccuracy: number | undefined
let downloadUrl: string | undefined

const setProgress = (fraction: number): void => {
  ui.bar.style.setProperty("--done", String(Math.min(1, Math.max(0, fraction))))
  ui.bar.setAttribute("aria-valuenow", String(Math.round(100 * fraction)))
}

const stopWorker = (): void => {
  worker?.terminate()
  worker = undefined
  ui.train.textContent = "Train from scratch"
  ui.train.classList.remove("running")
  ui.epochs.disabled = false
}

const offerDownload = (checkpoint: Uint8Array<ArrayBuffer>): void => {
  if (downloadUrl !== undefined) URL.revokeObjectURL(downloadUrl)
  downloadUrl = URL.createObjectURL(new Blob([checkpoint], { type: "application/octet-stream" }))
  ui.download.href = downloadUrl
  ui.download.hidden = false
}

const onReport = (report: TrainReport): void => {
  switch (report.type) {
    case "loaded":
      plot.reset(report.train * runEpochs, runEpochs)
      ui.status.textContent = `training on ${thousands(report.train)} MNIST digits, testing on ${thousands(report.test)}`
      return
    case "progress":
      runExamples = report.examples
      setProgress(report.examples / report.totalExamples)
      ui.status.textContent = `epoch ${report.epoch + 1} · ${thousands(report.examples)} of ${thousands(report.totalExamples)} examples · loss ${report.loss.toFixed(3)}`
      return
    case "evaluation": {
      runExamples = report.examples
      plot.add({ examples: report.examples, accuracy: report.accuracy })
      lastAccuracy = report.accuracy
      const model = loadModel(report.checkpoint)
      if (E.isLeft(model)) return fail(renderModelError(model.left))
      const first = trained === undefined || report.examples === 0
      trained = model.right
      ui.useTrained.disabled = false
      offerDownload(report.checkpoint as Uint8Array<ArrayBuffer>)
      if (first) use("trained")
      else {
        describeModel()
        refresh()
      }
      return
    }
    case "done":
      stopWorker()
      setProgress(1)
      ui.status.textContent = `done: ${lastAccuracy === undefined ? "" : `${percent(lastAccuracy)} of the test digits right after `}${thousands(runExamples)} examples`
      return
    case "failed":
      stopWorker()
      ui.status.textContent = `training failed: ${report.message}`
      return
  }
}

const startTraining = (): void => {
  const epochs = Number(ui.epochs.value) || 3
  worker = new Worker(new URL("./train.worker.ts", import.meta.url), { type: "module" })
  worker.onmessage = (e: MessageEvent<TrainReport>) => onReport(e.data)
  worker.onerror = (e) => onReport({ type: "failed", message: e.message })
  const request: TrainRequest = {
    type: "train",
    urls: {
      trainImages: dataUrl(dataFiles.trainImages),
      trainLabels: dataUrl(dataFiles.trainLabels),
      testImages: dataUrl(dataFiles.testImages),
      testLabels: dataUrl(dataFiles.testLabels),
    },
    epochs,
    seed: runs,
  }
  runs += 1
  runEpochs = epochs
  lastAccuracy = undefined
  runExamples = 0
  worker.postMessage(request)
  ui.train.textContent = "Stop"
  ui.train.classList.add("running")
  ui.epochs.disabled = true
  ui.status.textContent = "fetching MNIST…"
  setProgress(0)
  plot.reset(1, epochs)
}

ui.train.addEventListener("click", () => {
  if (worker === undefined) startTraining()
  else {
    stopWorker()
    ui.status.textContent = `stopped after ${thousands(runExamples)} examples`
  }
})

// -------------------------------------------------------------------------------------------
// start
// -------------------------------------------------------------------------------------------

const start = async (): Promise<void> => {
  await Promise.all([loadShipped(), loadGallery()])
  document.body.dataset["state"] = shipped === undefined ? "failed" : "ready"
}

void start()
