#!/usr/bin/env node
// The `fnn` binary: runs src/main.ts through tsx, which ships with the workspace.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
