"""PyTorch CPU side of bench/compare.ts: trains the same workloads and answers in JSON.

compare.ts starts this script once (node:child_process) and talks to it one JSON object a
line, so the PyTorch rounds interleave with the JavaScript contenders' rounds:

  {"op": "info"}
      -> {"torch": "1.13.0a0", "blas": "OpenBLAS 0.3.21 ... (Zen)", "conv": "...", ...}
  {"op": "setup", "id": "lenet", "spec": {...layers/spec.ts JSON...},
   "shape": [C, H, W], "batch": 64, "lr": 0.01, "momentum": 0.9}
      -> {"ok": true}
  {"op": "setup", "id": "char-gpt", "spec": {...}, "shape": [L], "batch": 12,
   "text": {"vocabSize": 65, "blockSize": 64, "optimizer": {"type": "adamw", "lr": ...,
   "betas": [0.9, 0.99], "weightDecay": 0.1}}}
      -> {"ok": true}   (a language model: nn.Embedding + nn.LSTM(batch_first=True) + nn.Linear,
                          or token + position embeddings + nn.TransformerEncoderLayer(norm_first,
                          gelu, batch_first) with a causal mask + nn.LayerNorm + nn.Linear)
  {"op": "round", "id": "lenet", "threads": 1, "seconds": 1}
      -> {"samplesPerSecond": 11000.0, "steps": 172, "blasThreads": 1}
  (end of input: exit)

One training step is what shardgrad's `Trainer.step()` does: zero the gradients, forward,
cross-entropy loss, backward, SGD(momentum) step (AdamW for the language models), on random
inputs of the real shapes.
`threads` goes to torch.set_num_threads and, when the BLAS is OpenBLAS, to
openblas_set_num_threads (torch does not forward it), so "1 thread" means one thread;
for more threads OpenBLAS gets the faster of `threads` and 1 (see set_threads).

Standalone: `python3 bench/_torch_bench.py --info` prints the info object and exits.
The caller decides the environment (compare.ts unsets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE).
"""

import ctypes
import json
import os
import sys
import time

import torch
from torch import nn


def _mapped_libraries():
    """Paths of the shared libraries mapped into this process."""
    paths = set()
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and parts[5].startswith("/") and ".so" in parts[5]:
                    paths.add(parts[5])
    except OSError:
        pass
    return sorted(paths)


def _openblas_handle():
    """ctypes handle of the loaded OpenBLAS, or None."""
    for path in _mapped_libraries():
        real = os.path.realpath(path)
        if "openblas" in real:
            try:
                lib = ctypes.CDLL(real)
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return lib, real
            except (OSError, AttributeError):
                continue
    return None, None


def blas_info():
    """Which BLAS torch's matmuls run on, from the libraries mapped into this process."""
    a = torch.ones(64, 64)
    (a @ a).sum().item()  # make sure the BLAS has run (and is loaded)
    lib, path = _openblas_handle()
    if lib is not None:
        config = lib.openblas_get_config().decode()
        core = lib.openblas_get_corename().decode()
        return f"OpenBLAS ({config}; core {core}) from {path}"
    blas = [os.path.realpath(p) for p in _mapped_libraries() if "blas" in p or "mkl" in p]
    if any("mkl" in p for p in blas):
        return "MKL from " + ", ".join(sorted(set(blas)))
    if any("/blas/libblas" in p for p in blas):
        return ("reference BLAS (netlib, unoptimized: install libopenblas0-pthread) from "
                + ", ".join(sorted(set(blas))))
    if blas:
        return "unknown BLAS from " + ", ".join(sorted(set(blas)))
    build = torch.__config__.show()
    return "no BLAS library mapped; torch build says " + (
        build.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in build else "nothing")


def blas_check():
    """Max |error| of a 96×160·160×128 float32 matmul against a float64 sum without the BLAS
    (some OpenBLAS builds compute wrong results on some processors)."""
    g = torch.Generator().manual_seed(0)
    a = torch.rand(96, 160, generator=g) - 0.5
    b = torch.rand(160, 128, generator=g) - 0.5
    exact = (a.double()[:, :, None] * b.double()[None, :, :]).sum(1)
    return float((a @ b - exact).abs().max())


def conv_info():
    """Which backend runs a float32 CPU convolution of batch 64 (oneDNN/mkldnn or the slow path)."""
    backend = "?"
    select = getattr(torch._C, "_select_conv_backend", None)
    if select is not None:
        try:
            x = torch.zeros(64, 1, 28, 28)
            w = torch.zeros(8, 1, 5, 5)
            backend = str(select(x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1))
        except (RuntimeError, TypeError) as error:
            backend = f"? ({error})"
    return f"{backend}; mkldnn available: {torch.backends.mkldnn.is_available()}"


def info():
    return {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "blas": blas_info(),
        "blasCheck": blas_check(),
        "conv": conv_info(),
        "capability": torch.backends.cpu.get_cpu_capability()
        if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability")
        else None,
        "env": {k: os.environ.get(k) for k in (
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }


class PositionalEmbedding(nn.Module):
    """shardgrad's PositionalEmbedding (batch first): token embedding + position embedding."""

    def __init__(self, num_embeddings, embedding_dim, max_length):
        super().__init__()
        self.wte = nn.Embedding(num_embeddings, embedding_dim)
        self.wpe = nn.Embedding(max_length, embedding_dim)

    def forward(self, ids):
        return self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))


class CausalEncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer given the causal mask (torch 1.13 has no is_causal)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.masks = {}

    def forward(self, x):
        length = x.shape[1]
        if length not in self.masks:
            self.masks[length] = nn.Transformer.generate_square_subsequent_mask(length)
        return self.layer(x, src_mask=self.masks[length])


class LSTMOutput(nn.Module):
    """nn.LSTM's output sequence alone (shardgrad's LSTM in a Sequential passes that on)."""

    def __init__(self, lstm):
        super().__init__()
        self.lstm = lstm

    def forward(self, x):
        return self.lstm(x)[0]


def build_model(spec):
    """The layers/spec.ts JSON as an nn.Sequential with the same shapes."""
    layers = []
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "embedding":
            layers.append(nn.Embedding(layer["numEmbeddings"], layer["embeddingDim"]))
        elif kind == "positionalembedding":
            layers.append(PositionalEmbedding(layer["numEmbeddings"], layer["embeddingDim"],
                                              layer["maxLength"]))
        elif kind == "lstm":
            layers.append(LSTMOutput(nn.LSTM(layer["inputSize"], layer["hiddenSize"],
                                             num_layers=layer.get("numLayers", 1),
                                             batch_first=layer.get("batchFirst", False))))
        elif kind == "transformerencoderlayer":
            encoder = nn.TransformerEncoderLayer(
                layer["dModel"], layer["nhead"], dim_feedforward=layer.get("dimFeedforward", 2048),
                dropout=layer.get("dropout", 0.1), activation=layer.get("activation", "relu"),
                batch_first=layer.get("batchFirst", False), norm_first=layer.get("normFirst", False))
            layers.append(CausalEncoderLayer(encoder) if layer.get("isCausal") else encoder)
        elif kind == "layernorm":
            layers.append(nn.LayerNorm(layer["normalizedShape"]))
        elif kind == "flatten" and "startDim" in layer:
            layers.append(nn.Flatten(layer["startDim"], layer.get("endDim", -1)))
        elif kind == "conv2d":
            layers.append(nn.Conv2d(layer["inChannels"], layer["outChannels"], layer["kernelSize"],
                                    stride=layer.get("stride", 1), padding=layer.get("padding", 0)))
        elif kind == "maxpool2d":
            layers.append(nn.MaxPool2d(layer["kernelSize"], stride=layer.get("stride")))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "flatten":
            layers.append(nn.Flatten())
        elif kind == "linear":
            layers.append(nn.Linear(layer["inFeatures"], layer["outFeatures"]))
        else:
            raise ValueError(f"no PyTorch equivalent for {kind}")
    return nn.Sequential(*layers)


class Workload:
    def __init__(self, request):
        torch.manual_seed(0)
        self.batch = request["batch"]
        self.model = build_model(request["spec"]).train()
        self.loss = nn.CrossEntropyLoss()
        text = request.get("text")
        if text is None:
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=request["lr"],
                                             momentum=request["momentum"])
            shape = [self.batch, *request["shape"]]
            self.inputs = [torch.rand(shape) * 2 - 1 for _ in range(4)]
            self.labels = [torch.randint(0, 10, (self.batch,)) for _ in range(4)]
        else:
            # Token windows: ids [N, L] in, the next ids [N·L] as targets; the preset's AdamW.
            opt = text["optimizer"]
            kinds = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}
            self.optimizer = kinds[opt["type"]](self.model.parameters(), lr=opt["lr"],
                                                betas=tuple(opt["betas"]),
                                                weight_decay=opt["weightDecay"])
            vocab, length = text["vocabSize"], text["blockSize"]
            self.inputs = [torch.randint(0, vocab, (self.batch, length)) for _ in range(4)]
            self.labels = [torch.randint(0, vocab, (self.batch * length,)) for _ in range(4)]
        self.i = 0
        self.blas_threads = {}  # torch threads -> OpenBLAS threads chosen by tune()

    def step(self):
        i = self.i % len(self.inputs)
        self.i += 1
        self.optimizer.zero_grad()
        loss = self.loss(self.model(self.inputs[i]), self.labels[i])
        loss.backward()
        self.optimizer.step()

    def round(self, seconds):
        self.step()  # untimed: the thread count may just have changed
        steps = 0
        start = time.perf_counter()
        while True:
            self.step()
            steps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        return {"samplesPerSecond": steps * self.batch / elapsed, "steps": steps}


def set_threads(workload, n, openblas):
    """torch.set_num_threads(n); OpenBLAS on the faster of n and 1 threads for this workload.

    With the pthreads OpenBLAS, torch's n OpenMP threads and OpenBLAS's own n threads are
    two pools on n cores: where the OpenMP workers spin while a GEMM runs, OpenBLAS on one
    thread is faster (e.g. the CIFAR CNN, twice as fast here); where GEMMs dominate it is
    not. The first round on n > 1 threads times both (0.3 s each) and keeps the faster.
    """
    torch.set_num_threads(n)
    if openblas is None:
        return None
    if n not in workload.blas_threads:
        if n == 1:
            workload.blas_threads[n] = 1
        else:
            speeds = {}
            for blas in (n, 1):
                openblas.openblas_set_num_threads(blas)
                speeds[blas] = workload.round(0.3)["samplesPerSecond"]
            workload.blas_threads[n] = max(speeds, key=speeds.get)
    openblas.openblas_set_num_threads(workload.blas_threads[n])
    return workload.blas_threads[n]


def serve():
    openblas, _ = _openblas_handle()
    workloads = {}
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            op = request["op"]
            if op == "info":
                reply = info()
            elif op == "setup":
                workloads[request["id"]] = Workload(request)
                reply = {"ok": True}
            elif op == "round":
                workload = workloads[request["id"]]
                blas = set_threads(workload, request["threads"], openblas)
                reply = {**workload.round(request["seconds"]), "blasThreads": blas}
            else:
                reply = {"error": f"unknown op {op}"}
        except Exception as error:  # reported to compare.ts, which prints it
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if "--info" in sys.argv:
        print(json.dumps(info(), indent=2))
    else:
        serve()
