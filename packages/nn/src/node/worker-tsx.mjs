// Starts a `parallelTrainStep` worker from the workspace's TypeScript sources through tsx, so
// tests run without a build; built code starts `worker.js` instead.
import { register } from "tsx/esm/api"

register()
await import("./worker.ts")
