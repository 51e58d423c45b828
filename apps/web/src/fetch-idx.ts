/**
 * Fetching IDX files (gzipped or not) from the page's own origin and decoding them with
 * `@fnn/mnist`'s pure parser. Works in the page and in workers.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { isGzip, parseIdx } from "@fnn/mnist"
import type { IdxArray, IdxError } from "@fnn/mnist"

/** Why a file could not be had. */
export type FetchIdxError =
  | { readonly _tag: "FetchFailed"; readonly url: string; readonly message: string }
  | { readonly _tag: "NotIdx"; readonly url: string; readonly error: IdxError }

/** One sentence about a `FetchIdxError`. */
export const renderFetchIdxError = (e: FetchIdxError): string =>
  e._tag === "FetchFailed"
    ? `could not fetch ${e.url}: ${e.message}`
    : `${e.url} is not an IDX file (${e.error._tag})`

const gunzip = async (bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> =>
  new Uint8Array(
    await new Response(
      new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).arrayBuffer(),
  )

/**
 * The bytes at `url`, gunzipped when they start with the gzip magic (a server may already have
 * decoded a `.gz` file it labelled `Content-Encoding: gzip`).
 */
export const fetchBytes = async (url: string): Promise<E.Either<string, Uint8Array>> => {
  try {
    const response = await fetch(url)
    if (!response.ok) return E.left(`HTTP ${response.status}`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    return E.right(isGzip(bytes) ? await gunzip(bytes) : bytes)
  } catch (reason) {
    return E.left(reason instanceof Error ? reason.message : String(reason))
  }
}

/**
 * Fetches and decodes one IDX file.
 *
 * @example
 * const labels = await fetchIdx(new URL("data/t10k-labels-idx1-ubyte.gz", document.baseURI).href)
 */
export const fetchIdx = async (url: string): Promise<E.Either<FetchIdxError, IdxArray>> => {
  const bytes = await fetchBytes(url)
  if (E.isLeft(bytes)) return E.left({ _tag: "FetchFailed", url, message: bytes.left })
  const parsed = parseIdx(bytes.right)
  return E.isLeft(parsed)
    ? E.left({ _tag: "NotIdx", url, error: parsed.left })
    : E.right(parsed.right)
}
