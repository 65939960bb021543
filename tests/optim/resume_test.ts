/** Resume: 10 steps in one go equal 5 steps, save, load into fresh objects, 5 more — bit for bit. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import {
  Adagrad,
  Adam,
  AdamW,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  Lion,
  MultiplicativeLR,
  MultiStepLR,
  OneCycleLR,
  type Optimizer,
  type OptimizerStateDict,
  PolynomialLR,
  ReduceLROnPlateau,
  RMSprop,
  SequentialLR,
  SGD,
  StepLR,
} from "../../optim/mod.ts";

type AnyOptimizer = Optimizer<{ lr: number }, object>;
interface Schedule {
  step(loss: number): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

const wrap = (
  s: { step(): void; stateDict(): unknown; loadStateDict(state: never): void },
): Schedule => ({
  step: () => s.step(),
  stateDict: () => s.stateDict(),
  loadStateDict: (state) => s.loadStateDict(state),
});

const combos: [string, (p: Parameter[]) => AnyOptimizer, (o: AnyOptimizer) => Schedule][] = [
  [
    "SGD (nesterov) + StepLR",
    (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
    (o) => wrap(new StepLR(o, 3)),
  ],
  [
    "SGD (momentum) + OneCycleLR",
    (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }),
    (o) => wrap(new OneCycleLR(o, 0.5, { totalSteps: 10 })),
  ],
  [
    "Adam (amsgrad) + CosineAnnealingLR",
    (p) => new Adam(p, { lr: 0.01, amsgrad: true }),
    (o) => wrap(new CosineAnnealingLR(o, 4)),
  ],
  [
    "AdamW + OneCycleLR (betas cycled)",
    (p) => new AdamW(p, { lr: 0.01 }),
    (o) => wrap(new OneCycleLR(o, 0.05, { totalSteps: 12 })),
  ],
  [
    "RMSprop (centered, momentum) + ExponentialLR",
    (p) => new RMSprop(p, { momentum: 0.5, centered: true }),
    (o) => wrap(new ExponentialLR(o, 0.8)),
  ],
  [
    "Adagrad (lrDecay) + MultiStepLR",
    (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.01 }),
    (o) => wrap(new MultiStepLR(o, [2, 6])),
  ],
  [
    "Lion + SequentialLR(LinearLR, CosineAnnealingLR)",
    (p) => new Lion(p, { lr: 1e-3, weightDecay: 0.1 }),
    (o) => {
      const s = new SequentialLR(
        o,
        [new LinearLR(o, { totalIters: 3 }), new CosineAnnealingLR(o, 5)],
        [4],
      );
      return wrap(s);
    },
  ],
  [
    "SGD (momentum) + CyclicLR (momentum cycled)",
    (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }),
    (o) => wrap(new CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3 })),
  ],
  [
    "Adam + CyclicLR (exp_range, betas[0] cycled)",
    (p) => new Adam(p, { lr: 0.01 }),
    (o) => wrap(new CyclicLR(o, 0.001, 0.02, { stepSizeUp: 2, mode: "exp_range", gamma: 0.9 })),
  ],
  [
    "SGD + CosineAnnealingWarmRestarts (t0 2, tMult 2)",
    (p) => new SGD(p, { lr: 0.1 }),
    (o) => wrap(new CosineAnnealingWarmRestarts(o, 2, { tMult: 2, etaMin: 0.01 })),
  ],
  [
    "AdamW + ConstantLR",
    (p) => new AdamW(p, { lr: 0.01 }),
    (o) => wrap(new ConstantLR(o, { factor: 0.5, totalIters: 7 })),
  ],
  [
    "RMSprop + PolynomialLR",
    (p) => new RMSprop(p, { lr: 0.01 }),
    (o) => wrap(new PolynomialLR(o, { totalIters: 8, power: 2 })),
  ],
  [
    "SGD + LambdaLR (a stateful lambda object)",
    (p) => new SGD(p, { lr: 0.1 }),
    (o) => {
      // Its factor depends on its own field, so a resume that lost the field would differ.
      const decay = {
        value: 1,
        factor(epoch: number) {
          this.value *= epoch % 2 === 0 ? 0.9 : 0.95;
          return this.value;
        },
      };
      return wrap(new LambdaLR(o, decay));
    },
  ],
  [
    "Lion + MultiplicativeLR",
    (p) => new Lion(p, { lr: 1e-3 }),
    (o) => wrap(new MultiplicativeLR(o, (e) => 1 - 0.05 * e)),
  ],
  [
    "SGD + ChainedScheduler(ConstantLR, ExponentialLR)",
    (p) => new SGD(p, { lr: 0.1, momentum: 0.5 }),
    (o) =>
      wrap(
        new ChainedScheduler([
          new ConstantLR(o, { factor: 0.25, totalIters: 6 }),
          new ExponentialLR(o, 0.9),
        ]),
      ),
  ],
  ["SGD + ReduceLROnPlateau", (p) => new SGD(p, { lr: 0.1 }), (o) => {
    const s = new ReduceLROnPlateau(o, { patience: 1, factor: 0.5 });
    return {
      step: (loss) => s.step(loss),
      stateDict: () => s.stateDict(),
      loadStateDict: (state) => s.loadStateDict(state),
    };
  }],
];

/** A tiny quadratic problem: L = ½‖p − target‖², so grad = p − target (plus a fixed wobble). */
function model(): Parameter[] {
  const rng = new Rng(11);
  return [new Parameter(Tensor.randn([3, 4], { rng })), new Parameter(Tensor.randn([5], { rng }))];
}

function trainSteps(
  params: Parameter[],
  opt: AnyOptimizer,
  schedule: Schedule,
  from: number,
  to: number,
): void {
  for (let t = from; t < to; t++) {
    let loss = 0;
    for (const p of params) {
      for (let i = 0; i < p.size; i++) {
        const g = p.data.data[i] - 0.5 + 0.1 * Math.sin(t + i);
        p.grad.data[i] = g;
        loss += 0.5 * g * g;
      }
    }
    opt.step();
    opt.zeroGrad();
    // A plateau every other step, so ReduceLROnPlateau acts within 10 steps.
    schedule.step(t % 2 === 0 ? loss : loss + 100);
  }
}

/** What a checkpoint keeps: metadata through JSON, buffers as copied Tensors. */
function checkpoint(
  opt: AnyOptimizer,
  schedule: Schedule,
): { optimizer: OptimizerStateDict; scheduler: unknown } {
  const sd = opt.stateDict();
  return {
    optimizer: { state: sd.state, param_groups: JSON.parse(JSON.stringify(sd.param_groups)) },
    scheduler: JSON.parse(JSON.stringify(schedule.stateDict())),
  };
}

for (const [label, makeOptimizer, makeSchedule] of combos) {
  test(`Optimizer.loadStateDict() resumes ${label} bit for bit (10 steps = 5 + save/load + 5)`, () => {
    const straight = model();
    const opt1 = makeOptimizer(straight);
    const sched1 = makeSchedule(opt1);
    trainSteps(straight, opt1, sched1, 0, 10);

    const first = model();
    const opt2 = makeOptimizer(first);
    const sched2 = makeSchedule(opt2);
    trainSteps(first, opt2, sched2, 0, 5);
    const saved = checkpoint(opt2, sched2);
    const weights = first.map((p) => p.data.clone());

    const resumed = model();
    resumed.forEach((p, i) => p.data.copyFrom(weights[i]));
    const opt3 = makeOptimizer(resumed);
    const sched3 = makeSchedule(opt3);
    opt3.loadStateDict(saved.optimizer);
    sched3.loadStateDict(saved.scheduler as never);
    trainSteps(resumed, opt3, sched3, 5, 10);

    resumed.forEach((p, i) =>
      assert.deepEqual(p.data.data, straight[i].data.data, `parameter ${i}`)
    );
    assert.deepEqual(opt3.paramGroups.map((g) => g.lr), opt1.paramGroups.map((g) => g.lr));
    assert.notDeepEqual(straight[0].data.data, model()[0].data.data);
  });
}
