import { afterAll, describe, expect, it } from "vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { fnn, tempDir } from "./helpers.ts"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const main = join(root, "apps", "cli", "src", "main.ts")
const tsxCli = join(root, "node_modules", "tsx", "dist", "cli.mjs")
// tsx as a loader inside one process: its CLI adds a parent process that relays signals.
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
// the workspace packages from their sources, as in every test
const source = "--conditions=@fnn/source"

const { dir, remove } = tempDir()
afterAll(remove)

interface Exit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node …args` in `dir`; `onStdout` sees the output so far and may signal the child. */
const spawnNode = (
  args: ReadonlyArray<string>,
  onStdout: (soFar: string, kill: (signal: NodeJS.Signals) => void) => void = () => {},
): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s
      onStdout(stdout, (signal) => child.kill(signal))
    })
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

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

  it("saves on SIGINT, exits 130, and resumes to the bytes of an uninterrupted run", async () => {
    const recipe = ["--limit", "1500", "--epochs", "2", "--batch-size", "16"]
    let sent = false
    const r = await spawnNode(
      [
        source,
        "--import",
        tsxLoader,
        main,
        "train",
        ...recipe,
        "--out",
        "sig.safetensors",
        "--json",
      ],
      (soFar, kill) => {
        if (!sent && soFar.includes('"type":"epoch"')) {
          sent = true
          kill("SIGINT")
        }
      },
    )
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("stopping after this step to save")
    const last = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>
    expect(last).toMatchObject({ type: "interrupted", saved: true, model: "sig.safetensors" })
    expect(existsSync(join(dir, "sig.safetensors"))).toBe(true)

    const resumed = await fnn(dir, ["train", "--resume", "sig.safetensors"])
    expect(resumed.code, resumed.stderr).toBe(0)
    const whole = await fnn(dir, ["train", ...recipe, "--out", "whole.safetensors"])
    expect(whole.code).toBe(0)
    expect(
      readFileSync(join(dir, "sig.safetensors")).equals(
        readFileSync(join(dir, "whole.safetensors")),
      ),
    ).toBe(true)
  })
})
