/**
 * fnn on one thread and on several in the same run: switching the fast kernels between thread
 * counts (each switch starts or stops their worker threads, so it happens between measurements,
 * never inside one).
 * @module
 */
import { fastKernelsInstalled, fastKernelsReady, installFastKernels } from "@fnn/tensor/fast"

/**
 * Installs the fast kernels with `threads` threads (the caller included) unless they already
 * run so, and waits for their workers; true if it installed them (the next product is then the
 * first on fresh memory: warm it up before timing).
 * @example
 * await useFastThreads(1) // fnn's matrix products on the calling thread alone
 */
export const useFastThreads = async (threads: number): Promise<boolean> => {
  if (fastKernelsInstalled()?.threads === threads) return false
  const installed = installFastKernels({ threads })
  if (installed.threads > 1) await fastKernelsReady()
  return true
}
