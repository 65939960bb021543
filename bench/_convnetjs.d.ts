/** The parts of ConvNetJS (npm `convnetjs`, untyped) that bench/compare.ts uses. */

declare const convnetjs: {
  Net: new () => { makeLayers(defs: Record<string, unknown>[]): void };
  Vol: new (sx: number, sy: number, depth: number, fill?: number) => { w: Float64Array };
  Trainer: new (
    net: unknown,
    options: Record<string, unknown>,
  ) => { train(x: unknown, label: number): unknown };
};
export default convnetjs;
