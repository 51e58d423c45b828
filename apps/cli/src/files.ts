/**
 * Files in and out. Reads give `TaskEither`s with tagged errors; writes are atomic: the bytes go
 * to a temporary file in the same directory, which is renamed over the target only once it is
 * complete, so a reader (or a crash, or Ctrl-C) never sees half a file and a failed write leaves
 * nothing behind.
 * @module
 */
import { open, readFile, rename, stat, unlink } from "node:fs/promises"
import { unlinkSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import * as TE from "fp-ts/lib/TaskEither.js"
import type { CliError } from "./errors.ts"

const codeOf = (reason: unknown): unknown =>
  typeof reason === "object" && reason !== null && "code" in reason ? reason.code : undefined

/** The system's message without the call that failed (`ENOENT: no such file…, open 'x'`). */
export const messageOf = (reason: unknown): string => {
  const m = reason instanceof Error ? reason.message : String(reason)
  return m.replace(/, (open|rename|stat|write|read|fsync|close) '.*'$/, "")
}

/**
 * The bytes of `path`. A missing file is `FileNotFound` naming `what` it should have been
 * (`model`, `image`); anything else unreadable is `ReadFailed`.
 */
export const readBytes = (
  path: string,
  shown: string,
  what: string,
): TE.TaskEither<CliError, Uint8Array> =>
  TE.tryCatch(
    async () => {
      const b = await readFile(path)
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    },
    (reason): CliError =>
      codeOf(reason) === "ENOENT"
        ? { _tag: "FileNotFound", path: shown, what }
        : codeOf(reason) === "EISDIR"
          ? { _tag: "ReadFailed", path: shown, message: "it is a directory" }
          : { _tag: "ReadFailed", path: shown, message: messageOf(reason) },
  )

// Temporary files being written, removed by `removePendingFiles` if the process must stop at once.
const pending = new Set<string>()
let counter = 0

/** Removes the temporary files of writes still under way (for a hard exit). */
export const removePendingFiles = (): void => {
  for (const p of pending) {
    try {
      unlinkSync(p)
    } catch {
      // already gone
    }
  }
  pending.clear()
}

/**
 * Checks, before any long work, that `path` can become a file: its directory exists and it is not
 * itself a directory. `shown` is the path as the user wrote it.
 */
export const checkWritable = (path: string, shown: string): TE.TaskEither<CliError, void> =>
  TE.tryCatch(
    async () => {
      const dir = await stat(dirname(path)).catch(() => undefined)
      if (dir === undefined || !dir.isDirectory())
        throw new Error(`the directory ${dirname(shown)} does not exist`)
      const target = await stat(path).catch(() => undefined)
      if (target?.isDirectory() === true) throw new Error("it is a directory")
    },
    (reason): CliError => ({ _tag: "WriteFailed", path: shown, message: messageOf(reason) }),
  )

/**
 * Writes `bytes` to `path` atomically: a temporary file beside it, flushed to disk, then renamed
 * over `path`. On failure the temporary file is removed and `path` is untouched.
 *
 * @example
 * await writeAtomic("/tmp/model.safetensors", "model.safetensors", bytes)()
 */
export const writeAtomic = (
  path: string,
  shown: string,
  bytes: Uint8Array,
): TE.TaskEither<CliError, void> =>
  TE.tryCatch(
    async () => {
      counter += 1
      const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`)
      pending.add(temp)
      try {
        const handle = await open(temp, "wx")
        try {
          await handle.writeFile(bytes)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await rename(temp, path)
      } catch (reason) {
        await unlink(temp).catch(() => undefined)
        throw reason
      } finally {
        pending.delete(temp)
      }
    },
    (reason): CliError => ({ _tag: "WriteFailed", path: shown, message: messageOf(reason) }),
  )
