"""PyTorch's peak memory on the same CIFAR-10 binary files as bench/memory.ts (issue 16).

Reads cifar-10-batches-bin/data_batch_1..5.bin and test_batch.bin out of DIR's
cifar-10-binary.tar.gz (as uint8, kept uint8: a torch.uint8 tensor [N, 3, 32, 32]),
trains the cifar-cnn preset's model (VGG-style 3 × 2 convs + BatchNorm + ReLU + MaxPool,
Dropout, Linear) with SGD (lr 0.05, momentum 0.9, weight decay 5e-4), batch 128, random
crop (padding 4) + flip, 2 threads, normalizing each batch; prints VmRSS/VmHWM per phase.

    python3 bench/_torch_memory.py /tmp/cifar_synth [--limit-train N] [--limit-test N] [--epochs N]
"""

import argparse
import tarfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def show(phase, extra=""):
    s = status()
    print(f"| PyTorch {torch.__version__} | {phase} | {s['VmRSS']:.0f} | {s['VmHWM']:.0f} | {extra} |", flush=True)


def load(path):
    """Streams the tar.gz (no whole-file copy) and keeps only the parsed uint8 arrays."""
    train, test = [], None
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if not name.endswith(".bin"):
                continue
            raw = np.frombuffer(tar.extractfile(member).read(), dtype=np.uint8).reshape(-1, 3073)
            pair = (raw[:, 1:].reshape(-1, 3, 32, 32).copy(), raw[:, 0].astype(np.int64))
            if name.startswith("data_batch"):
                train.append(pair)
            else:
                test = pair
    images = torch.from_numpy(np.concatenate([p[0] for p in train]))
    labels = torch.from_numpy(np.concatenate([p[1] for p in train]))
    return images, labels, torch.from_numpy(test[0]), torch.from_numpy(test[1])


def model():
    layers, c = [], 3
    for i, w in enumerate([32, 64, 128]):
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
        layers += [nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2)]
        if i < 2:
            layers.append(nn.Dropout(0.1 * (i + 1)))
        c = w
    layers += [nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 4 * 4, 10)]
    return nn.Sequential(*layers)


MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def batch(images, augment):
    x = images.float().div_(255)
    if augment:
        x = F.pad(x, (4, 4, 4, 4))
        n = x.shape[0]
        dy, dx = np.random.randint(0, 9, n), np.random.randint(0, 9, n)
        x = torch.stack([x[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32] for i in range(n)])
        flip = torch.from_numpy(np.random.rand(n) < 0.5)
        x[flip] = x[flip].flip(3)
    return (x - MEAN) / STD


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--limit-train", type=int)
    ap.add_argument("--limit-test", type=int)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    np.random.seed(0)
    print("| runtime | after | RSS (MB) | peak RSS (MB) | samples/s |")
    print("|---|---|---:|---:|---:|")
    show("start")
    xs, ys, xt, yt = load(f"{a.dir}/cifar-10-binary.tar.gz")
    if a.limit_train:
        xs, ys = xs[: a.limit_train], ys[: a.limit_train]
    if a.limit_test:
        xt, yt = xt[: a.limit_test], yt[: a.limit_test]
    show("load")
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for epoch in range(a.epochs):
        net.train()
        order = torch.randperm(len(xs))
        t0 = time.perf_counter()
        for i in range(0, len(xs), 128):
            idx = order[i : i + 128]
            loss = F.cross_entropy(net(batch(xs[idx], True)), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sps = len(xs) / (time.perf_counter() - t0)
        show("epoch 1" if epoch == 0 else f"epoch {epoch + 1}", f"{sps:.1f}")
    net.eval()
    with torch.no_grad():
        for i in range(0, len(xt), 1000):
            net(batch(xt[i : i + 1000], False))
    show("eval")


if __name__ == "__main__":
    main()
