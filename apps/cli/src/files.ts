/**
 * Files in and out. Reads give `TaskEither`s with tagged errors; writes are atomic: the bytes go
 * to a temporary file in the same directory, which is renamed over the target only once it is
 * complete, so a reader (or a crash, or Ctrl-C) never sees half a file and a failed write leaves
 * nothing behind.
 * @module
 */
import { lstat, open, rename, stat, unlink } from "node:fs/promises"
import { constants, unlinkSync } from "node:fs"
import type { Stats } from "node:fs"
import { dirname, join } from "node:path"
import * as TE from "fp-ts/lib/TaskEither.js"
import { kindOf } from "@fnn/mnist/node"
import type { CliError } from "./errors.ts"

const codeOf = (reason: unknown): unknown =>
  typeof reason === "object" && reason !== null && "code" in reason ? reason.code : undefined

/** The system's message without the call that failed (`ENOENT: no such file…, open 'x'`). */
export const messageOf = (reason: unknown): string => {
  const m = reason instanceof Error ? reason.message : String(reason)
  return m.replace(/, (open|rename|stat|write|read|fsync|close) '.*'$/, "")
}

/** A refusal worded for people, thrown inside a `tryCatch` and kept as its message. */
class Refused extends Error {}

/** `n` bytes in the units people read sizes in: `256 MiB`, `64 KiB`, `100 bytes`. */
export const showBytes = (n: number): string =>
  n >= 2 ** 20 && n % 2 ** 20 === 0
    ? `${n / 2 ** 20} MiB`
    : n >= 2 ** 10 && n % 2 ** 10 === 0
      ? `${n / 2 ** 10} KiB`
      : `${n} bytes`

/**
 * The bytes of `path`, a regular file of at most `maxBytes`. A missing file is `FileNotFound`
 * naming `what` it should have been (`model`, `image`); a device, pipe or directory, a file above
 * the maximum and anything else unreadable are `ReadFailed`. Opening never waits for a pipe's
 * writer, and nothing past the file's size is read.
 */
export const readBytes = (
  path: string,
  shown: string,
  what: string,
  maxBytes: number,
): TE.TaskEither<CliError, Uint8Array> =>
  TE.tryCatch(
    async () => {
      const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
      try {
        const s = await handle.stat()
        if (!s.isFile()) throw new Refused(`it is ${kindOf(s)}, not a regular file`)
        if (s.size > maxBytes)
          throw new Refused(
            `it has ${s.size} bytes, more than the ${showBytes(maxBytes)} fnn reads as ${article(what)}`,
          )
        const out = new Uint8Array(s.size)
        let filled = 0
        while (filled < out.length) {
          const { bytesRead } = await handle.read(out, filled, out.length - filled, filled)
          if (bytesRead === 0) break
          filled += bytesRead
        }
        return out.subarray(0, filled)
      } finally {
        await handle.close()
      }
    },
    (reason): CliError =>
      codeOf(reason) === "ENOENT"
        ? { _tag: "FileNotFound", path: shown, what }
        : { _tag: "ReadFailed", path: shown, message: messageOf(reason) },
  )

const article = (what: string): string => (/^[aeiou]/.test(what) ? `an ${what}` : `a ${what}`)

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

/** What is at `path` without following a symbolic link, or `undefined` if nothing is. */
const entryAt = (path: string): Promise<Stats | undefined> =>
  lstat(path).catch((reason: unknown) => {
    if (codeOf(reason) === "ENOENT") return undefined
    throw reason
  })

/** Refuses to replace anything but a regular file: a link, a device, a pipe, a directory. */
const checkReplaceable = async (path: string): Promise<boolean> => {
  const target = await entryAt(path)
  if (target === undefined) return false
  if (target.isSymbolicLink())
    throw new Refused("it is a symbolic link; fnn replaces only regular files")
  if (!target.isFile())
    throw new Refused(`it is ${kindOf(target)}; fnn replaces only regular files`)
  return true
}

// Short and independent of the target's name, so a long name cannot make it too long.
const tempName = (path: string): string => {
  counter += 1
  return join(dirname(path), `.fnn-${process.pid}-${counter}.tmp`)
}

/** Creates and removes an empty file at `path`: the surest test that it can be written. */
const probe = async (path: string): Promise<void> => {
  const handle = await open(path, "wx")
  await handle.close()
  await unlink(path)
}

/**
 * Checks, before any long work, that `path` can become a file: its directory exists and can be
 * written, its name can be created there, and it is absent or a regular file (a symbolic link,
 * a device, a pipe or a directory is never replaced). `shown` is the path as the user wrote it.
 */
export const checkWritable = (path: string, shown: string): TE.TaskEither<CliError, void> =>
  TE.tryCatch(
    async () => {
      const dir = await stat(dirname(path)).catch(() => undefined)
      if (dir === undefined || !dir.isDirectory())
        throw new Refused(`the directory ${dirname(shown)} does not exist`)
      const exists = await checkReplaceable(path)
      await probe(tempName(path))
      if (!exists) await probe(path)
    },
    (reason): CliError => ({ _tag: "WriteFailed", path: shown, message: messageOf(reason) }),
  )

/**
 * Writes `bytes` to `path` atomically: a temporary file beside it, flushed to disk, then renamed
 * over `path`, which must be absent or a regular file. On failure the temporary file is removed
 * and `path` is untouched.
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
      await checkReplaceable(path)
      const temp = tempName(path)
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
