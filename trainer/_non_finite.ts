/**
 * Internal: the trainers' divergence guard: `NonFiniteError` (a non-finite loss, gradient
 * or parameter, with what and where) and the scan that finds one in a model.
 */

import { firstNonFinite } from "../tensor/kernels/mod.ts";
import type { Module } from "../layers/module.ts";

/** What a `NonFiniteError` found: a loss, a gradient element or a parameter element. */
export interface NonFiniteFinding {
  kind: "loss" | "gradient" | "parameter";
  /** The value found (NaN, Infinity or -Infinity). */
  value: number;
  /** The parameter's PyTorch name (gradient and parameter findings), else null. */
  parameter: string | null;
  /** The flat element index within that parameter (-1 for a loss). */
  element: number;
}

/**
 * A training step met a non-finite loss or gradient (found before the update, so the
 * parameters are those before the step) or a non-finite parameter (found right after the
 * update that produced it). `stepIndex` is the batch's position in the call (0 for
 * `step`; i for batch i of `trainSteps`), so a loop can name its epoch and step.
 */
export class NonFiniteError extends RangeError {
  readonly kind: NonFiniteFinding["kind"];
  readonly value: number;
  readonly parameter: string | null;
  readonly element: number;
  readonly stepIndex: number;
  /** What was found, in words: `the gradient of "0.weight" is NaN (element 3)`. */
  readonly detail: string;
  /** False for loss and gradient findings: the step was not applied. */
  readonly applied: boolean;

  constructor(where: string, finding: NonFiniteFinding, stepIndex: number, at = "") {
    const detail = describeFinding(finding);
    const applied = finding.kind === "parameter";
    super(
      `${where}: ${detail}${at}; ${
        applied
          ? "the update produced it, so the parameters are no longer finite (a learning rate too large?); reload the last checkpoint"
          : "the step was not applied, the parameters are still the last finite ones"
      }`,
    );
    this.name = "NonFiniteError";
    this.kind = finding.kind;
    this.value = finding.value;
    this.parameter = finding.parameter;
    this.element = finding.element;
    this.stepIndex = stepIndex;
    this.detail = detail;
    this.applied = applied;
  }
}

/**
 * The first parameter (in `namedParameters()` order) whose gradient (`"gradient"`) or
 * value (`"parameter"`) holds a non-finite element, or null when all are finite.
 */
export function findNonFinite(
  model: Module,
  kind: "gradient" | "parameter",
): NonFiniteFinding | null {
  for (const [name, p] of model.namedParameters()) {
    const data = kind === "gradient" ? p.grad.data : p.data.data;
    const element = firstNonFinite(data, 0, data.length);
    if (element >= 0) return { kind, value: data[element], parameter: name, element };
  }
  return null;
}

function describeFinding({ kind, value, parameter, element }: NonFiniteFinding): string {
  if (kind === "loss") return `the loss is ${value}`;
  const what = kind === "gradient" ? `the gradient of "${parameter}"` : `parameter "${parameter}"`;
  return `${what} is ${value} (element ${element})`;
}
