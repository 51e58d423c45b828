import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { signalExitCode } from "../src/io.ts"
import type { StopSignal } from "../src/io.ts"
import { fnn, tempDir } from "./helpers.ts"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const main = join(root, "apps", "cli", "src", "main.ts")
const tsxCli = join(root, "node_modules", "tsx", "dist", "cli.mjs")
// tsx as a loader inside one process, as the built binary is one process: its CLI adds a parent
// process that relays signals.
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
// the workspace packages from their sources, as in every test
const source = "--conditions=@fnn/source"
const fnnProcess = [source, "--import", tsxLoader, main]

const { dir, remove } = tempDir()
afterAll(remove)

interface Exit {
  readonly pid: number
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `node …args` in `dir`, in a process group of its own when `group`; `onStdout` sees the
 * output so far and may signal the child (or, for a group, the whole group).
 */
const spawnNode = (
  args: ReadonlyArray<string>,
  onStdout: (soFar: string, kill: (signal: NodeJS.Signals) => void) => void = () => {},
  group = false,
): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      detached: group,
    })
    const pid = child.pid!
    const kill = (signal: NodeJS.Signals): void => {
      if (group) process.kill(-pid, signal)
      else child.kill(signal)
    }
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s
      onStdout(stdout, kill)
    })
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ pid, code, signal, stdout, stderr }))
  })

/** A signal sender that fires once, when training has finished its first epoch. */
const afterFirstEpoch = (signal: NodeJS.Signals) => {
  let sent = false
  return (soFar: string, kill: (signal: NodeJS.Signals) => void): void => {
    if (!sent && soFar.includes('"type":"epoch"')) {
      sent = true
      kill(signal)
    }
  }
}

/** The processes (from /proc) whose process group is `group`. */
const processesInGroup = (group: number): ReadonlyArray<number> =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // fields after the command name, which is in parentheses and may hold spaces
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
        return Number(fields[2]) === group
      } catch {
        return false // it ended while we looked
      }
    })
    .map(Number)

const recipe = ["--limit", "1500", "--epochs", "2", "--batch-size", "16"]
let whole: Buffer

beforeAll(async () => {
  const r = await fnn(dir, ["train", ...recipe, "--out", "whole.safetensors"])
  expect(r.code, r.stderr).toBe(0)
  whole = readFileSync(join(dir, "whole.safetensors"))
}, 120_000)

describe("the fnn process", () => {
  it("runs through tsx's command line and exits 0 or 2 with one clean message", async () => {
    const ok = await spawnNode([tsxCli, source, main, "show", "--index", "0", "--set", "test"])
    expect(ok.code).toBe(0)
    expect(ok.stdout.split("\n")[0]).toBe("test #0: label 7")
    const bad = await spawnNode([tsxCli, source, main, "train", "--epochs", "-1"])
    expect(bad.code).toBe(2)
    expect(bad.stdout).toBe("")
    expect(bad.stderr).toBe(
      'fnn: error: --epochs must be an integer from 1 to 100000, got "-1" (see "fnn train --help")\n',
    )
  })

  it.each<readonly [StopSignal, number]>([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ])(
    "saves on %s, exits %i, and resumes to the bytes of an uninterrupted run",
    async (signal, code) => {
      expect(signalExitCode(signal)).toBe(code)
      const out = `${signal}.safetensors`
      const r = await spawnNode(
        [...fnnProcess, "train", ...recipe, "--out", out, "--json"],
        afterFirstEpoch(signal),
      )
      expect(r.code, r.stderr).toBe(code)
      expect(r.stderr).toContain("stopping after this step to save")
      const last = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>
      expect(last).toMatchObject({ type: "interrupted", saved: true, model: out })
      expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]) // no temporary file

      const resumed = await fnn(dir, ["train", "--resume", out])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(readFileSync(join(dir, out)).equals(whole)).toBe(true)
    },
  )

  it("leaves nothing running after kill -9 of its process group; the last checkpoint loads and resumes", async () => {
    const out = "killed.safetensors"
    const r = await spawnNode(
      [...fnnProcess, "train", ...recipe, "--out", out, "--json"],
      afterFirstEpoch("SIGKILL"),
      true,
    )
    expect(r.signal).toBe("SIGKILL")
    expect(processesInGroup(r.pid)).toEqual([])
    expect(existsSync(join(dir, out))).toBe(true)

    const loaded = await fnn(dir, ["eval", "--model", out, "--json"])
    expect(loaded.code, loaded.stderr).toBe(0)
    const resumed = await fnn(dir, ["train", "--resume", out])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(readFileSync(join(dir, out)).equals(whole)).toBe(true)
  })
})
