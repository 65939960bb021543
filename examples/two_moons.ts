/** Trains a small MLP on scikit-learn-style two moons and prints its test accuracy. */
import { Adam, CrossEntropyLoss, DataLoader, Linear, makeMoons, ReLU, Rng, Sequential, TensorDataset, trainTestSplit } from "../mod.ts";

const rng = new Rng(0);
const { train, test } = trainTestSplit(makeMoons(1000, { noise: 0.1, rng }), { testSize: 0.2, rng });
const model = new Sequential(new Linear(2, 32), new ReLU(), new Linear(32, 2));
const lossFn = new CrossEntropyLoss();
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
for (let epoch = 0; epoch < 30; epoch++) {
  for (const { x, y } of new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 32, shuffle: true, rng })) {
    optimizer.zeroGrad();
    lossFn.forward(model.forward(x), y);
    model.backward(lossFn.backward());
    optimizer.step();
  }
}
const logits = model.eval().forward(test.x).data;
const correct = test.y.filter((label, i) => (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === label).length;
console.log(`test accuracy: ${(correct / test.y.length).toFixed(3)}`);
