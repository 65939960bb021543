/**
 * SGD against torch.optim.SGD's own float32 results, bit for bit (tests/optim/fixtures/
 * sgd_torch.json, written by scripts/sgd_torch_fixture.py with PyTorch 1.13): six
 * configurations (momentum, dampening, weight decay, Nesterov, maximize) over three steps of
 * one 67-element parameter whose values span eleven orders of magnitude, through the SGD
 * class, through the kernel that runs here, through the TypeScript loop itself, and where the
 * BLAS library has an exact saxpy through its route (sgd_blas.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SGD } from "../../optim/mod.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { sgdKernel } from "../../tensor/kernels/mod.ts";
import { sgdKernel as sgdKernelTs } from "../../tensor/kernels/optimizer.ts";
import { blasSgd } from "../../tensor/kernels/blas/sgd_blas.ts";

interface Case {
  options: {
    lr: number;
    momentum?: number;
    dampening?: number;
    weight_decay?: number;
    nesterov?: boolean;
    maximize?: boolean;
  };
  param: string[];
  grads: string[][];
  steps: { param: string[]; buffer: string[] | null }[];
}

const fixture: { torch: string; cases: Case[] } = JSON.parse(
  readFileSync(new URL("./fixtures/sgd_torch.json", import.meta.url), "utf8"),
);

function floats(hex: string[]): Float32Array {
  return new Float32Array(Uint32Array.from(hex, (h) => parseInt(h, 16)).buffer);
}

function assertBits(actual: Float32Array, expected: string[], what: string): void {
  const got = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const want = parseInt(expected[i], 16);
    if (got[i] !== want) {
      assert.fail(
        `${what}[${i}]: got ${actual[i]} (0x${got[i].toString(16)}), torch ${
          new Float32Array(Uint32Array.of(want).buffer)[0]
        } (0x${expected[i]})`,
      );
    }
  }
}

function describe(c: Case): string {
  return Object.entries(c.options).map(([k, v]) => `${k} ${v}`).join(", ");
}

for (const c of fixture.cases) {
  const o = c.options;
  test(`SGD = torch.optim.SGD bit for bit (${describe(c)})`, () => {
    const w = new Parameter(Tensor.fromArray(Array.from(floats(c.param))));
    const opt = new SGD([w], {
      lr: o.lr,
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      weightDecay: o.weight_decay ?? 0,
      nesterov: o.nesterov ?? false,
      maximize: o.maximize ?? false,
    });
    c.grads.forEach((g, k) => {
      w.grad.data.set(floats(g));
      opt.step();
      assertBits(w.data.data, c.steps[k].param, `step ${k + 1} param`);
      const buffer = opt.stateDict().state[0]?.momentum_buffer;
      if (c.steps[k].buffer !== null) {
        assert.ok(buffer instanceof Tensor, "momentum_buffer in the state dict");
        assertBits(buffer.data, c.steps[k].buffer!, `step ${k + 1} momentum_buffer`);
      }
    });
  });

  const kernels: [string, typeof sgdKernelTs][] = [
    ["the active sgdKernel", sgdKernel],
    ["sgdKernel of optimizer.ts", sgdKernelTs],
  ];
  if (blasSgd !== null) kernels.push(["sgdKernel on the library's saxpy", blasSgd(sgdKernelTs)]);
  for (const [name, kernel] of kernels) {
    test(`${name} = torch.optim.SGD bit for bit (${describe(c)})`, () => {
      const p = floats(c.param);
      const momentum = o.momentum ?? 0;
      const buf = momentum === 0 ? null : new Float32Array(p.length);
      c.grads.forEach((g, k) => {
        kernel(
          p,
          floats(g),
          buf,
          0,
          p.length,
          o.lr,
          momentum,
          o.dampening ?? 0,
          o.weight_decay ?? 0,
          o.maximize ? -1 : 1,
          k === 0,
          o.nesterov ?? false,
        );
        assertBits(p, c.steps[k].param, `step ${k + 1} param`);
        if (buf !== null) assertBits(buf, c.steps[k].buffer!, `step ${k + 1} momentum_buffer`);
      });
    });
  }
}
