/**
 * The consumer test: fnn as a user gets it from npm. Builds and packs every publishable
 * package, installs the tarballs with npm into an empty folder outside the repository (no
 * TypeScript, no tsx), then runs the README examples as plain JavaScript, the `fnn` binary,
 * a TypeScript consumer under `node16` and `bundler` resolution, a Vite page in Chromium, and
 * publint and attw on every tarball. Prints one line per check; exits 1 if any failed.
 * Usage: `pnpm test:consumer` (`--keep` keeps the folder for a look).
 * @module
 */
import { spawn, spawnSync } from "node:child_process"
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { readmeExamples, toJavaScript } from "./examples.ts"
import { runPage } from "./page.ts"
import { publishablePackages, root } from "../workspace.ts"

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The environment a user's shell would give: without the settings pnpm passes to scripts. */
const userEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k))),
  TURBO_TELEMETRY_DISABLED: "1",
  NODE_OPTIONS: "",
}

/** Runs a command to its end (at most `timeout` ms) and returns what it printed. */
const sh = (command: string, args: ReadonlyArray<string>, cwd: string, timeout = 300_000): Ran => {
  const r = spawnSync(command, [...args], {
    cwd,
    encoding: "utf8",
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    env: userEnv,
  })
  return {
    code: r.status,
    stdout: r.stdout ?? "",
    stderr: (r.stderr ?? "") + (r.error?.message ?? ""),
  }
}

let passed = 0
const failures: string[] = []

/** Runs one named check; a thrown error is its failure. */
const check = async (name: string, body: () => void | Promise<void>): Promise<void> => {
  const began = performance.now()
  try {
    await body()
    passed += 1
    console.log(`consumer: ok ${name} (${((performance.now() - began) / 1000).toFixed(1)} s)`)
  } catch (e) {
    failures.push(name)
    console.log(`consumer: FAILED ${name}\n${e instanceof Error ? e.message : String(e)}`)
  }
}

/** Throws with what the command printed unless it exited with `code`. */
const expectExit = (r: Ran, code: number, what: string): Ran => {
  if (r.code !== code)
    throw new Error(`${what}: exit ${r.code}, expected ${code}\n${r.stdout}\n${r.stderr}`)
  return r
}

const assert = (ok: boolean, message: string): void => {
  if (!ok) throw new Error(message)
}

const keep = process.argv.includes("--keep")
const work = mkdtempSync(join(tmpdir(), "fnn-consumer-"))
const tarballs = join(work, "tarballs")
const consumer = join(work, "app")
mkdirSync(tarballs)
mkdirSync(consumer)
const packages = publishablePackages()
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
const bin = (name: string): string => join(root, "node_modules", ".bin", name)

await check("build", () => {
  expectExit(sh("pnpm", ["run", "build"], root, 600_000), 0, "pnpm build")
})

await check("pack", () => {
  for (const p of packages)
    expectExit(sh("pnpm", ["pack", "--pack-destination", tarballs], p.dir), 0, p.manifest.name)
  assert(
    readdirSync(tarballs).length === packages.length,
    `tarballs: ${readdirSync(tarballs).join(", ")}`,
  )
})
const tgz = readdirSync(tarballs).map((f) => join(tarballs, f))

await check("publint and attw (ESM only) report nothing", () => {
  for (const file of tgz) {
    const lint = expectExit(
      sh(bin("publint"), ["run", file, "--strict"], work),
      0,
      `publint ${file}`,
    )
    // publint prints "All good!" when it has nothing to say
    assert(/All good/.test(lint.stdout), `publint ${file}:\n${lint.stdout}`)
    expectExit(
      sh(bin("attw"), [file, "--profile", "esm-only", "--format", "table-flipped"], work),
      0,
      `attw ${file}`,
    )
  }
})

await check("npm install of the tarballs into an empty folder", () => {
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "fnn-consumer", private: true, type: "module" }, null, 2),
  )
  expectExit(
    sh(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tgz],
      consumer,
      600_000,
    ),
    0,
    "npm install",
  )
  for (const tool of ["typescript", "tsx"])
    assert(!existsSync(join(consumer, "node_modules", tool)), `${tool} was installed`)
})

const node = (args: ReadonlyArray<string>, timeout?: number): Ran =>
  sh(process.execPath, args, consumer, timeout)

const examples = readmeExamples()
mkdirSync(join(consumer, "examples"))
for (const e of examples) {
  writeFileSync(join(consumer, "examples", `${e.name}.ts`), e.typescript)
  writeFileSync(join(consumer, "examples", `${e.name}.mjs`), toJavaScript(e.typescript))
}
for (const e of examples)
  await check(`README example ${e.name} runs as plain JavaScript`, () => {
    expectExit(node([join("examples", `${e.name}.mjs`)], 600_000), 0, e.name)
  })

await check("the fast kernels' thread pool starts from built code", () => {
  const program = `
    import * as T from "@fnn/tensor"
    import { installFastKernels } from "@fnn/tensor/fast"
    const a = T.random.normal(T.random.key(0), [300, 300])
    const b = T.random.normal(T.random.key(1), [300, 300])
    const reference = T.matmul(a, b).data
    const installed = installFastKernels({ threads: 2 })
    const fast = T.matmul(a, b).data
    let worst = 0
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i] - reference[i]))
    console.log(JSON.stringify({ installed, worst }))
  `
  const r = expectExit(node(["--input-type=module", "-e", program]), 0, "fast kernels")
  const { installed, worst } = JSON.parse(r.stdout) as {
    installed: { threads: number }
    worst: number
  }
  assert(installed.threads === 2 && worst < 1e-3, r.stdout)
})

await check("import from CommonJS with require works (Node's require of ES modules)", () => {
  const r = node([
    "-e",
    'const T = require("@fnn/tensor"); console.log(T.item(T.sum(T.tensor([1, 2]))))',
  ])
  expectExit(r, 0, "require")
  assert(r.stdout.trim() === "3", r.stdout)
})

const npx = (args: ReadonlyArray<string>): Ran =>
  sh("npx", ["--no-install", "fnn", ...args], consumer, 600_000)

await check("npx fnn train, eval, predict", () => {
  const train = expectExit(npx(["train", "--epochs", "1", "--limit", "2000", "--json"]), 0, "train")
  assert(
    (JSON.parse(train.stdout.trim().split("\n").pop()!) as { type: string }).type === "summary",
    train.stdout,
  )
  const evaluated = expectExit(npx(["eval", "--model", "model.safetensors", "--json"]), 0, "eval")
  const accuracy = (JSON.parse(evaluated.stdout) as { accuracy: number }).accuracy
  assert(accuracy > 0.5, `accuracy ${accuracy}`)
  const predicted = expectExit(
    npx(["predict", "--model", "model.safetensors", "--index", "0", "--json"]),
    0,
    "predict",
  )
  assert(JSON.parse(predicted.stdout) !== null, predicted.stdout)
})

await check("fnn's errors: one line, exit 2 for the command line and 1 for a run", () => {
  const usage = expectExit(npx(["train", "--epochs", "-1"]), 2, "a bad flag")
  assert(/^fnn: error: [^\n]*\n$/.test(usage.stderr) && usage.stdout === "", usage.stderr)
  const missing = expectExit(npx(["eval", "--model", "missing.safetensors"]), 1, "a missing model")
  assert(/^fnn: error: [^\n]*\n$/.test(missing.stderr), missing.stderr)
})

await check("the installed fnn is one process that saves on SIGTERM and exits 143", async () => {
  const fnnBin = join(consumer, "node_modules", ".bin", "fnn")
  const flags = ["train", "--epochs", "2", "--limit", "2000", "--out", "sig.safetensors", "--json"]
  const r = await new Promise<Ran & { children: string }>((resolve, reject) => {
    const child = spawn(fnnBin, flags, {
      cwd: consumer,
      env: userEnv,
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    let children = ""
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      if (children === "" && s.includes('"type":"epoch"')) {
        children =
          sh("ps", ["--ppid", String(child.pid), "-o", "pid="], consumer).stdout.trim() || "none"
        child.kill("SIGTERM")
      }
      stdout += s
    })
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr, children }))
  })
  expectExit(r, 143, "SIGTERM")
  assert(r.children === "none", `child processes: ${r.children}`)
  expectExit(npx(["train", "--resume", "sig.safetensors"]), 0, "resume")
  expectExit(
    npx(["train", "--epochs", "2", "--limit", "2000", "--out", "whole.safetensors"]),
    0,
    "whole run",
  )
  assert(
    readFileSync(join(consumer, "sig.safetensors")).equals(
      readFileSync(join(consumer, "whole.safetensors")),
    ),
    "the resumed run's bytes differ from the uninterrupted run's",
  )
})

for (const resolution of ["node16", "bundler"] as const)
  await check(
    `the README examples typecheck as TypeScript (moduleResolution ${resolution})`,
    () => {
      const config = join(consumer, `tsconfig.${resolution}.json`)
      writeFileSync(
        config,
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2022"],
            module: resolution === "node16" ? "node16" : "esnext",
            moduleResolution: resolution,
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ["node"],
            typeRoots: [join(root, "node_modules", "@types")],
          },
          include: ["examples/*.ts"],
        }),
      )
      expectExit(sh(process.execPath, [tsc, "-p", config], consumer), 0, "tsc")
    },
  )

await check("a Vite page of the packages trains 50 steps in Chromium", async () => {
  const r = await runPage(consumer, join(root, "tools", "consumer", "page"))
  assert(r.error === undefined, `the page failed: ${r.error}`)
  assert(r.steps === 50 && r.last! < r.first!, `losses: ${JSON.stringify(r)}`)
  console.log(`consumer: the page's JavaScript is ${(r.bytes / 1024).toFixed(1)} KB gzipped`)
})

if (!keep) rmSync(work, { recursive: true, force: true })
else console.log(`consumer: kept ${work}`)
console.log(
  failures.length === 0
    ? `consumer test: all ${passed} checks ok`
    : `consumer test: ${failures.length} of ${passed + failures.length} checks failed: ${failures.join("; ")}`,
)
process.exitCode = failures.length === 0 ? 0 : 1
