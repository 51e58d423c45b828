/**
 * A tiny static file server for the browser test: serves a folder on 127.0.0.1 at a free port.
 * @module
 */
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize, sep } from "node:path"

const types: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
}

/** A running server: its base URL and how to stop it. */
export interface Served {
  readonly url: string
  close(): Promise<void>
}

/**
 * Serves the files under `root` (`/` is `index.html`); anything outside it, or missing, is 404.
 *
 * @example
 * const server = await serve("dist")
 * await page.goto(server.url)
 * await server.close()
 */
export const serve = async (root: string): Promise<Served> => {
  const base = normalize(root + sep)
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname)
    const file = normalize(join(base, path.endsWith("/") ? `${path}index.html` : path))
    if (!file.startsWith(base)) {
      response.writeHead(403).end()
      return
    }
    readFile(file).then(
      (body) => {
        response.writeHead(200, {
          "content-type": types[extname(file)] ?? "application/octet-stream",
          "cache-control": "no-store",
        })
        response.end(body)
      },
      () => response.writeHead(404).end(),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}
