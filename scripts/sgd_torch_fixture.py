"""Writes tests/optim/fixtures/sgd_torch.json: torch.optim.SGD's exact float32 results.

    /usr/bin/python3 scripts/sgd_torch_fixture.py     (needs torch; run by hand, not by CI)

For each configuration (momentum, dampening, weight decay, Nesterov, maximize) one parameter of
67 float32 values of spread magnitudes (with ±0) takes three steps with the gradients listed;
the file holds every input and, after each step, the parameter and momentum buffer as float32
bit patterns (hex), so the test compares bits, not values within a tolerance.
"""

import json
import os
import sys

import numpy as np
import torch

N = 67
CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, weight_decay=0.01, maximize=True),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1),
    dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True),
    dict(lr=0.3, momentum=0.95, nesterov=True),
]


def spread(rng, scale):
    x = rng.standard_normal(N) * np.exp(rng.uniform(-8, 3, N)) * scale
    x[rng.integers(0, N, 3)] = 0.0
    x[rng.integers(0, N, 2)] = -0.0
    return x.astype(np.float32)


def bits(a):
    return [format(int(v), "08x") for v in np.asarray(a, dtype=np.float32).view(np.uint32)]


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(2026)
    cases = []
    for config in CONFIGS:
        p0 = spread(rng, 0.5)
        grads = [spread(rng, 0.05) for _ in range(3)]
        param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
        opt = torch.optim.SGD([param], **config)
        steps = []
        for g in grads:
            param.grad = torch.from_numpy(g.copy())
            opt.step()
            buf = opt.state[param].get("momentum_buffer")
            steps.append({
                "param": bits(param.detach().numpy()),
                "buffer": None if buf is None else bits(buf.numpy()),
            })
        cases.append({
            "options": config,
            "param": bits(p0),
            "grads": [bits(g) for g in grads],
            "steps": steps,
        })
    out = {"torch": torch.__version__, "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "optim", "fixtures", "sgd_torch.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} (torch {torch.__version__}, {len(cases)} cases)", file=sys.stderr)


main()
