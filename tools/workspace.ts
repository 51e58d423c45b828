/**
 * The workspace's packages as their manifests describe them, for the packaging tests and the
 * consumer test.
 * @module
 */
import { readdirSync, readFileSync, existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository's root folder. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..")

/** One condition-keyed entry of an `exports` map. */
export interface ExportEntry {
  readonly "@fnn/source"?: string
  readonly types?: string
  readonly default?: string
}

/** What the packaging tests read of a `package.json`. */
export interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly exports?: Readonly<Record<string, ExportEntry | string>>
  readonly bin?: Readonly<Record<string, string>>
  readonly files?: ReadonlyArray<string>
  readonly dependencies?: Readonly<Record<string, string>>
}

/** A workspace package: its folder and its manifest. */
export interface WorkspacePackage {
  readonly dir: string
  readonly manifest: Manifest
}

/** Every package under `packages/` and `apps/`. */
export const workspacePackages = (): ReadonlyArray<WorkspacePackage> =>
  ["packages", "apps"].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name))
      .filter((dir) => existsSync(join(dir, "package.json")))
      .map((dir) => ({
        dir,
        manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest,
      })),
  )

/** The packages that are published to npm (not `private`). */
export const publishablePackages = (): ReadonlyArray<WorkspacePackage> =>
  workspacePackages().filter((p) => p.manifest.private !== true)

/** Whether an export subpath is for Node only (`./node`, `./node/…`). */
export const isNodeSubpath = (subpath: string): boolean =>
  subpath === "./node" || subpath.startsWith("./node/")
