import { test } from "node:test";
import assert from "node:assert/strict";
import { Identity } from "../../layers/identity.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomTensor } from "./_inputs.ts";

test("Identity.forward() returns its input and backward() its gradient", () => {
  const id = new Identity();
  const x = randomTensor([2, 3], 1);
  assert.equal(id.forward(x), x);
  assert.equal(id.backward(x), x);
  assert.deepEqual(id.parameters(), []);
  assert.equal(String(id), "Identity()");
});

test("Identity.backward() matches finite differences", () => {
  checkModuleGradients(new Identity(), randomTensor([3, 4], 2));
});
