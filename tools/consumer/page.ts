/**
 * The browser part of the consumer test: a Vite build of a page that imports the installed
 * packages (no workspace sources: Vite's default conditions), served on the loopback address and
 * run in headless Chromium, where it trains 50 steps of the 3Blue1Brown network.
 * @module
 */
import { cpSync, readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize } from "node:path"
import { chromium } from "playwright-core"
import { build } from "vite"

/** What the page reports in its title when it is done. */
export interface PageResult {
  readonly steps?: number
  readonly first?: number
  readonly last?: number
  readonly error?: string
  /** The gzipped size of the page's JavaScript, in bytes. */
  readonly bytes: number
}

const chromiumPath = process.env["CHROMIUM"] ?? "/usr/bin/chromium"
const types: Readonly<Record<string, string>> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
}

/** Serves `dir` on 127.0.0.1 at a free port until `close`. */
const serve = async (dir: string) => {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname))
    const file = join(dir, path === "/" ? "index.html" : path)
    try {
      const body = readFileSync(file)
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" })
      res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Builds the page in `consumer/page` (whose node_modules are the consumer's) and runs it. */
export const runPage = async (consumer: string, template: string): Promise<PageResult> => {
  const pageDir = join(consumer, "page")
  cpSync(template, pageDir, { recursive: true })
  const out = await build({
    root: pageDir,
    configFile: false,
    logLevel: "error",
    build: { outDir: join(pageDir, "dist"), target: "es2022" },
  })
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => ("output" in o ? o.output : []))
  const { gzipSync } = await import("node:zlib")
  const bytes = outputs
    .filter((o) => o.type === "chunk")
    .reduce((sum, o) => sum + gzipSync(o.code, { level: 9 }).length, 0)

  const server = await serve(join(pageDir, "dist"))
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  })
  try {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on("pageerror", (e) => errors.push(e.message))
    await page.goto(server.url)
    await page.waitForFunction(() => document.title.startsWith("done"), undefined, {
      timeout: 120_000,
    })
    const title = await page.title()
    const result = JSON.parse(title.slice("done ".length)) as Omit<PageResult, "bytes">
    return errors.length > 0 ? { error: errors.join("; "), bytes } : { ...result, bytes }
  } finally {
    await browser.close()
    await server.close()
  }
}
