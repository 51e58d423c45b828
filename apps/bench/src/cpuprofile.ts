/**
 * V8 CPU profiles: mapping positions in transpiled TypeScript back to the sources, and self time
 * per function. tsx compiles each module to one line of JavaScript and wraps arrow functions in a
 * naming helper, so a raw profile says "(anonymous) matmul.ts:1"; mapped, it says
 * "matmulKernel packages/tensor/src/kernels/matmul.ts:182".
 * @module
 */
import { readFileSync } from "node:fs"
import { findSourceMap } from "node:module"
import { relative } from "node:path"
import { fileURLToPath } from "node:url"

/** Where a profiled function is defined. */
export interface CallFrame {
  readonly functionName: string
  readonly scriptId: string
  readonly url: string
  /** 0-based. */
  readonly lineNumber: number
  /** 0-based. */
  readonly columnNumber: number
}

/** One node of the call tree. */
export interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: readonly number[]
  readonly hitCount?: number
}

/** A V8 CPU profile, as the inspector's `Profiler.stop` and `node --cpu-prof` give it. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Self time of one function (all call-tree nodes of the same function merged). */
export interface SelfTime {
  readonly name: string
  readonly where: string
  readonly ms: number
  readonly share: number
}

const declaration =
  /(?:function\*?|const|let|var)\s+([A-Za-z_$][\w$]*)|^\s*([A-Za-z_$][\w$]*)\s*[:=(]/

const sources = new Map<string, readonly string[]>()

const linesOf = (url: string): readonly string[] => {
  let lines = sources.get(url)
  if (lines === undefined) {
    try {
      lines = readFileSync(url.startsWith("file://") ? fileURLToPath(url) : url, "utf8").split("\n")
    } catch {
      lines = []
    }
    sources.set(url, lines)
  }
  return lines
}

/** The name declared on `line` or the two lines above it (`const f =`, `function f`, `key:`). */
const nameNear = (url: string, line: number): string | undefined => {
  const lines = linesOf(url)
  for (let l = line; l >= Math.max(0, line - 2); l--) {
    const m = declaration.exec(lines[l] ?? "")
    const name = m?.[1] ?? m?.[2]
    if (name !== undefined && name !== "return" && name !== "export") return name
  }
  return undefined
}

/**
 * The profile with every frame that has a source map (modules compiled by tsx in this process)
 * moved to its place in the original source, and anonymous functions named after the
 * declaration they sit in. Call it in the profiled process, where the source maps are loaded.
 */
export const mapProfile = (profile: CpuProfile): CpuProfile => ({
  ...profile,
  nodes: profile.nodes.map((node) => {
    const frame = node.callFrame
    if (!frame.url.endsWith(".ts")) return node
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber)
    if (entry === undefined || !("originalLine" in entry)) return node
    const url = entry.originalSource
    const functionName =
      frame.functionName !== ""
        ? frame.functionName
        : (nameNear(url, entry.originalLine) ?? "(anonymous)")
    return {
      ...node,
      callFrame: {
        ...frame,
        functionName,
        url,
        lineNumber: entry.originalLine,
        columnNumber: entry.originalColumn,
      },
    }
  }),
})

/** A frame's place for people: a path relative to `root` (or inside node_modules) and line. */
export const placeOf = (frame: CallFrame, root: string): string => {
  if (frame.url === "") return "native"
  const path = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url
  const shown = path.startsWith(root) ? relative(root, path) : path
  const modules = shown.lastIndexOf("node_modules/")
  return `${modules >= 0 ? shown.slice(modules + "node_modules/".length) : shown}:${frame.lineNumber + 1}`
}

/** Ids of the nodes called, directly or not, from the inspector (stopping the profiler). */
const underInspector = (profile: CpuProfile): Set<number> => {
  const out = new Set<number>()
  const visit = (
    node: ProfileNode | undefined,
    inside: boolean,
    byId: Map<number, ProfileNode>,
  ) => {
    if (node === undefined) return
    const here = inside || node.callFrame.url.startsWith("node:inspector")
    if (here) out.add(node.id)
    for (const c of node.children ?? []) visit(byId.get(c), here, byId)
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const children = new Set(profile.nodes.flatMap((n) => n.children ?? []))
  for (const n of profile.nodes) if (!children.has(n.id)) visit(n, false, byId)
  return out
}

/**
 * Self time per function, largest first: each sample's time goes to the function on top of the
 * stack when it was taken. `(idle)`, `(program)` and `(garbage collector)` are kept: they are
 * time too. Samples taken inside the inspector (stopping an in-process profile) are left out.
 * @example
 * selfTimes(profile, repoRoot).slice(0, 10)
 */
export const selfTimes = (profile: CpuProfile, root: string): SelfTime[] => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const skip = underInspector(profile)
  const totals = new Map<string, { name: string; where: string; us: number }>()
  let all = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    const dt = profile.timeDeltas[i] ?? 0
    if (node === undefined || skip.has(id)) return
    all += dt
    const name = node.callFrame.functionName === "" ? "(anonymous)" : node.callFrame.functionName
    const where = placeOf(node.callFrame, root)
    const key = `${name}@${where}`
    const entry = totals.get(key) ?? { name, where, us: 0 }
    entry.us += dt
    totals.set(key, entry)
  })
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map(({ name, where, us }) => ({ name, where, ms: us / 1000, share: all === 0 ? 0 : us / all }))
}

/**
 * The `top` functions by self time as an aligned text table.
 * @example
 * console.log(formatSelfTimes(selfTimes(profile, root), 10))
 */
export const formatSelfTimes = (rows: readonly SelfTime[], top: number): string =>
  [
    `${"self ms".padStart(9)}  ${"share".padStart(6)}  function (where)`,
    ...rows
      .slice(0, top)
      .map(
        (r) =>
          `${r.ms.toFixed(1).padStart(9)}  ${(100 * r.share).toFixed(1).padStart(5)}%  ${r.name} (${r.where})`,
      ),
  ].join("\n")
