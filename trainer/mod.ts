/**
 * The trainer core: the `Trainer` interface with its data types, and `LocalTrainer`. It sits
 * below parallel/ (whose `DataParallel` implements the interface) and train/ (the loop, the
 * CLI and `createTrainer`), imports neither, and uses no `node:` module, so it runs in a page.
 */

export * from "./trainer.ts";
export * from "./local_trainer.ts";
