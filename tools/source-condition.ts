/**
 * The workspace resolves `@fnn/*` packages to their TypeScript sources through the export
 * condition `@fnn/source`, so tests, the dev server and tools run without a build. Published
 * packages resolve to `dist/` for everyone else. Vite replaces its default conditions when
 * `conditions` is given, so they are listed again.
 */
import { defaultClientConditions, defaultServerConditions } from "vite"

/** The export condition that selects a workspace package's sources. */
export const sourceCondition = "@fnn/source"

/** Vite and Vitest options that resolve workspace packages to their sources. */
export const sourceResolve = {
  resolve: { conditions: [sourceCondition, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [sourceCondition, ...defaultServerConditions] } },
}
