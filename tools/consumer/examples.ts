/**
 * The README examples as programs a user would write: each package README's `ts` code blocks,
 * run one by one or, where the README builds one program step by step, together. A few
 * substitutions keep the runs short (one epoch, fewer images); each must still find its text,
 * so a changed README fails here instead of being skipped.
 * @module
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import ts from "typescript"
import { root } from "../workspace.ts"

/** How a README's blocks make programs, and what to shorten in them. */
interface ReadmeRecipe {
  readonly readme: string
  readonly together: boolean
  readonly shorten: ReadonlyArray<readonly [string, string]>
}

const recipes: ReadonlyArray<ReadmeRecipe> = [
  { readme: "packages/tensor/README.md", together: false, shorten: [] },
  { readme: "packages/autodiff/README.md", together: false, shorten: [] },
  { readme: "packages/jit/README.md", together: false, shorten: [] },
  {
    readme: "packages/nn/README.md",
    together: true,
    shorten: [
      ["const epochs = 20", "const epochs = 1"],
      ["await loadMnist()()", "await loadMnist({ limit: 2000 })()"],
    ],
  },
  {
    readme: "packages/mnist/README.md",
    together: false,
    shorten: [["loadMnist({ limit: 10000 })", "loadMnist({ limit: 2000 })"]],
  },
]

/** A README example as one TypeScript program. */
export interface Example {
  readonly name: string
  readonly typescript: string
}

const codeBlocks = (markdown: string): ReadonlyArray<string> =>
  [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)

const isImport = (line: string): boolean => /^import\s/.test(line)

/** Blocks of one program: their imports once each at the top, then their code in order. */
const joinBlocks = (blocks: ReadonlyArray<string>): string => {
  const lines = blocks.flatMap((b) => b.split("\n"))
  const imports = [...new Set(lines.filter(isImport))]
  return [...imports, ...lines.filter((l) => !isImport(l))].join("\n")
}

const shortened = (program: string, recipe: ReadmeRecipe): string =>
  recipe.shorten.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`${recipe.readme}: no longer contains "${from}"`)
    return text.replace(from, to)
  }, program)

/** Every README example, as TypeScript. */
export const readmeExamples = (): ReadonlyArray<Example> =>
  recipes.flatMap((recipe) => {
    const blocks = codeBlocks(readFileSync(join(root, recipe.readme), "utf8"))
    if (blocks.length === 0) throw new Error(`${recipe.readme} has no ts examples`)
    const programs = recipe.together ? [joinBlocks(blocks)] : blocks
    const pkg = recipe.readme.split("/")[1]!
    return programs.map((program, i) => ({
      name: `${pkg}-${i + 1}`,
      typescript: `${shortened(program, recipe)}\nexport {}\n`,
    }))
  })

/** The plain JavaScript a user would write: the program with its types taken out. */
export const toJavaScript = (typescript: string): string =>
  ts.transpileModule(typescript, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText
