/**
 * The version of fnn's packages, written into the files they export.
 * @module
 */

/** The version of `@fnn/nn` (its `package.json` says the same; a test holds them equal). */
export const fnnVersion = "0.1.0"
