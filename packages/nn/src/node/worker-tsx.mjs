// Starts a `parallelTrainStep` worker from the TypeScript sources through tsx, as the `fnn`
// binary starts the CLI: this package runs without a build step.
import { register } from "tsx/esm/api"

register()
await import("./worker.ts")
