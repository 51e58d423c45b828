import { describe, expect, it } from "vitest"
import { builtinModules } from "node:module"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import ts from "typescript"
import { isNodeSubpath, publishablePackages, workspacePackages } from "../workspace.ts"
import type { ExportEntry, WorkspacePackage } from "../workspace.ts"

const libraries = publishablePackages().filter((p) => p.manifest.bin === undefined)
const entriesOf = (p: WorkspacePackage): ReadonlyArray<readonly [string, ExportEntry]> =>
  Object.entries(p.manifest.exports ?? {}).flatMap(([subpath, entry]) =>
    typeof entry === "string" ? [] : [[subpath, entry] as const],
  )

describe("export maps", () => {
  it("give every subpath its sources, then types and JavaScript built from them", () => {
    for (const p of publishablePackages()) {
      const entries = entriesOf(p)
      expect(entries.length, p.manifest.name).toBeGreaterThan(0)
      for (const [subpath, entry] of entries) {
        const where = `${p.manifest.name} ${subpath}`
        // TypeScript takes the first matching condition: the source one must come first
        expect(Object.keys(entry), where).toEqual(["@fnn/source", "types", "default"])
        const source = entry["@fnn/source"]!
        expect(source, where).toMatch(/^\.\/src\/.*\.ts$/)
        expect(existsSync(join(p.dir, source)), `${where}: ${source}`).toBe(true)
        const built = source.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, "")
        expect(entry.types, where).toBe(`${built}.d.ts`)
        expect(entry.default, where).toBe(`${built}.js`)
      }
      expect(p.manifest.exports?.["./package.json"], p.manifest.name).toBe("./package.json")
      expect(p.manifest.files, p.manifest.name).toEqual(
        expect.arrayContaining(["dist", "src", "README.md", "CHANGELOG.md"]),
      )
    }
  })

  it("name each workspace dependency with workspace:*", () => {
    const names = new Set(workspacePackages().map((p) => p.manifest.name))
    for (const p of publishablePackages())
      for (const [dep, version] of Object.entries(p.manifest.dependencies ?? {}))
        if (names.has(dep)) expect(version, `${p.manifest.name} → ${dep}`).toBe("workspace:*")
  })
})

/** The specifiers a module imports, statically or with `import()`. */
const importsOf = (file: string): ReadonlyArray<string> =>
  ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName)

const byName = new Map(workspacePackages().map((p) => [p.manifest.name, p]))

/** The source file a workspace import such as `@fnn/tensor/internal` resolves to, if it is one. */
const workspaceSource = (specifier: string): string | undefined => {
  const m = /^(@fnn\/[^/]+)(\/.*)?$/.exec(specifier)
  const p = m === null ? undefined : byName.get(m[1]!)
  const entry = p?.manifest.exports?.[`.${m?.[2] ?? ""}`]
  if (p === undefined || entry === undefined || typeof entry === "string") return undefined
  return join(p.dir, entry["@fnn/source"]!)
}

/** Every bare specifier reached from `entry` through relative and workspace imports. */
const externalImports = (entry: string): ReadonlyMap<string, string> => {
  const seen = new Set<string>()
  const external = new Map<string, string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    for (const s of importsOf(file)) {
      const next = s.startsWith(".") ? resolve(dirname(file), s) : workspaceSource(s)
      if (next !== undefined) visit(next)
      else if (!external.has(s)) external.set(s, file)
    }
  }
  visit(entry)
  return external
}

const isNodeBuiltin = (s: string): boolean =>
  s.startsWith("node:") || builtinModules.includes(s.split("/")[0]!)

describe("browser entries", () => {
  const browserEntries = libraries.flatMap((p) =>
    entriesOf(p)
      .filter(([subpath]) => !isNodeSubpath(subpath))
      .map(([subpath, entry]) => [`${p.manifest.name}${subpath.slice(1)}`, p, entry] as const),
  )

  it("exist for every library", () => {
    expect(new Set(browserEntries.map(([, p]) => p.manifest.name)).size).toBe(libraries.length)
  })

  it.each(browserEntries)("%s imports no Node module", (_, p, entry) => {
    const file = join(p.dir, entry["@fnn/source"]!)
    const nodeOnly = [...externalImports(file)].filter(([s]) => isNodeBuiltin(s))
    expect(nodeOnly.map(([s, from]) => `${s} (from ${from})`)).toEqual([])
  })

  it("are checked by a walk that finds the Node imports of a Node entry", () => {
    const nodeEntries = libraries.flatMap((p) =>
      entriesOf(p)
        .filter(([subpath]) => isNodeSubpath(subpath))
        .map(([, entry]) => join(p.dir, entry["@fnn/source"]!)),
    )
    // Node entries may reach Node through `process.getBuiltinModule` instead; one imports it
    expect(nodeEntries.some((file) => [...externalImports(file).keys()].some(isNodeBuiltin))).toBe(
      true,
    )
  })
})
