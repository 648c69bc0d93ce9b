#!/usr/bin/env python3
"""Peer runtimes against `vivid bench` on the published architectures (driven by Benchmarks/peers.sh).

Each reference model is built with random weights (torch.manual_seed(0), so every process builds the same
weights), exported once to ONNX in CACHE, and timed on one view (batch 1) in its own process per runtime,
so that one runtime's idle thread pool never competes with the next one's:
  pytorch fp32   the reference module itself, torch.set_num_threads(N), torch.inference_mode()
  ort fp32       ONNX Runtime, CPU provider, intra_op_num_threads N, inter_op 1, all graph optimisations
  openvino fp32  OpenVINO CPU plugin on the same ONNX file, INFERENCE_NUM_THREADS N, INFERENCE_PRECISION_HINT f32
  openvino bf16  the same with INFERENCE_PRECISION_HINT bf16 (what the compiled model reports is recorded)
  vivid P        `vivid bench --arch A --random-weights --runs R --json --threads N [--precision P]`
Every peer is given the same seeded input; its warm-up output is kept and compared with PyTorch's, so the
table also shows that the ONNX graph and the module are the same model.

Usage: python peers.py run --vivid BIN --archs "A B" --threads N --runs R [--cache DIR]
       python peers.py export ARCH CACHE                                 (internal: one JSON line, [path, how])
       python peers.py time ARCH RUNTIME PRECISION THREADS RUNS CACHE   (internal: one runtime, one JSON line)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types

PEER_ARCHS = ("vivit-b16x2", "timesformer-b8", "uniformerv2-b16-u8", "csn-152", "slowfast-r50", "slowfast-16x8-r101")
PEERS = (("pytorch", "fp32"), ("ort", "fp32"), ("openvino", "fp32"), ("openvino", "bf16"))
VIVID_PRECISIONS = ("fp32", "bf16", "int8")
OPSET = 18  # the dynamo exporter's own; converting down to 17 fails (ReduceMean axes input)
# One view of each: ViViT and TimeSformer take (B, T, C, H, W) as transformers does, the convnets (B, C, T, H, W).
SHAPES = {"vivit-b16x2": (1, 32, 3, 224, 224), "timesformer-b8": (1, 8, 3, 224, 224), "uniformerv2-b16-u8": (1, 3, 8, 224, 224),
          "csn-152": (1, 3, 32, 224, 224),
          "slowfast-r50": (1, 3, 32, 256, 256), "slowfast-16x8-r101": (1, 3, 64, 256, 256)}


# ---------------------------------------------------------------------------------------------- the models

def _pytorchvideo():
    """pytorchvideo.models imports torchvision.ops.RoIAlign (for a detection head we never build). PyPI's
    torchvision for Linux is a CUDA build that cannot load beside the CPU-only torch, so when torchvision
    is missing or broken a stand-in module with that one name is registered first."""
    try:
        import torchvision.ops  # noqa: F401
    except Exception:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        stub, ops = types.ModuleType("torchvision"), types.ModuleType("torchvision.ops")

        class RoIAlign:  # never instantiated by the classification builders used here
            def __init__(self, *args, **kwargs):
                raise RuntimeError("torchvision is not installed (stand-in for pytorchvideo's import)")

        ops.RoIAlign, stub.ops = RoIAlign, ops
        sys.modules["torchvision"], sys.modules["torchvision.ops"] = stub, ops
        import pytorchvideo.models as models
        del sys.modules["torchvision"], sys.modules["torchvision.ops"]  # the ONNX exporter probes for torchvision
        return models
    import pytorchvideo.models as models
    return models


def _uniformerv2():
    """MMAction2's own UniFormerV2 backbone (loaded as Tools/uniformerv2_fixtures.py does: its source file from
    ~/.cache/vivid-mmaction2 with stand-ins for mmcv and mmengine) with the B/16 u8 K400 config and fc_cls."""
    import torch
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tools"))
    import uniformerv2_fixtures
    torch.set_default_dtype(torch.float32)  # make_fixtures, imported with it, makes float64 the default
    backbone = uniformerv2_fixtures.load_uniformerv2().UniFormerV2(
        input_resolution=224, patch_size=16, width=768, layers=12, heads=12, t_size=8, temporal_downsample=False,
        no_lmhra=True, double_lmhra=True, return_list=[8, 9, 10, 11], n_layers=4, n_dim=768, n_head=12, mlp_factor=4.0,
        drop_path_rate=0.0, mlp_dropout=[0.5] * 4, clip_pretrained=False)

    class Recognizer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone, self.fc_cls = backbone, torch.nn.Linear(768, 400)

        def forward(self, clip):
            return self.fc_cls(self.backbone(clip))

    return Recognizer()


def build(arch):
    """The module (one tensor in, logits out) and its input's name."""
    import torch
    torch.manual_seed(0)
    if arch in ("vivit-b16x2", "timesformer-b8"):
        import transformers
        # The hub configurations (google/vivit-b-16x2-kinetics400, facebook/timesformer-base-finetuned-k400) are
        # the classes' defaults; 400 classes; nothing is downloaded.
        if arch == "vivit-b16x2":
            net = transformers.VivitForVideoClassification(transformers.VivitConfig(num_labels=400))
        else:
            net = transformers.TimesformerForVideoClassification(transformers.TimesformerConfig(num_labels=400))

        class Transformer(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, pixel_values):
                return self.net(pixel_values=pixel_values).logits

        return Transformer(), "pixel_values"
    if arch == "uniformerv2-b16-u8":
        return _uniformerv2(), "clip"
    models = _pytorchvideo()
    if arch == "csn-152":
        # ir-CSN-152 as `vivid bench --arch csn-152` builds it (VMZ's structure: stem pool, 4×7×7 head pool), 32×224².
        net = models.create_csn(model_depth=152, stem_pool=torch.nn.MaxPool3d, head_pool_kernel_size=(4, 7, 7))
        return net, "clip"
    if arch == "slowfast-r50":  # pytorchvideo hub slowfast_r50's arguments: 8x8 R50, fusion kernel 7, 32 frames 256²
        net, frames = models.create_slowfast(model_depth=50, slowfast_fusion_conv_kernel_size=(7, 1, 1)), 32
    elif arch == "slowfast-16x8-r101":
        from pytorchvideo.models.hub import slowfast_16x8_r101_50_50
        net, frames = slowfast_16x8_r101_50_50(pretrained=False), 64
    else:
        raise SystemExit(f"no reference implementation for {arch}")

    class SlowFast(torch.nn.Module):
        """Takes the fast clip and picks the slow frames from it (linspace(0, T-1, T/4).long(), as PySlowFast)."""
        def __init__(self):
            super().__init__()
            self.net = net
            self.register_buffer("slow", torch.linspace(0, frames - 1, frames // 4).long(), persistent=False)

        def forward(self, clip):
            return self.net([clip.index_select(2, self.slow), clip])  # a new list: the blocks overwrite it

    return SlowFast(), "clip"


def view(shape):
    import numpy as np
    return np.random.default_rng(1).uniform(-1, 1, size=shape).astype(np.float32)


def onnx_path(arch, cache):
    import torch
    import transformers
    return os.path.join(cache, f"{arch}-torch{torch.__version__}-tf{transformers.__version__}-opset{OPSET}.onnx")


def export(arch, cache):
    """The cached ONNX file of ARCH, exported from the seeded module when missing. Returns (path, how)."""
    import torch
    path = onnx_path(arch, cache)
    if os.path.exists(path):
        return path, "cached"
    os.makedirs(cache, exist_ok=True)
    module, name = build(arch)
    module.eval()
    sample = (torch.from_numpy(view(SHAPES[arch])),)
    partial = path + ".partial"
    with torch.inference_mode(False), torch.no_grad():
        try:  # the dynamo exporter (torch's default); the TorchScript one if it fails
            torch.onnx.export(module, sample, partial, dynamo=True, opset_version=OPSET, input_names=[name],
                              output_names=["logits"], external_data=False)
            how = "dynamo"
        except Exception as error:
            print(f"{arch}: dynamo export failed ({type(error).__name__}: {str(error)[:200]}); TorchScript exporter",
                  file=sys.stderr)
            torch.onnx.export(module, sample, partial, dynamo=False, opset_version=OPSET, input_names=[name],
                              output_names=["logits"])
            how = "torchscript"
    os.replace(partial, path)
    return path, how


# ----------------------------------------------------------------------------------------- one runtime, timed

def time_one(arch, runtime, precision, threads, runs, cache):
    import numpy as np
    info = {}
    if runtime == "pytorch":
        import torch
        torch.set_num_threads(threads)
        module, _ = build(arch)
        module.eval()
        x = torch.from_numpy(view(SHAPES[arch]))

        def forward():
            with torch.inference_mode():
                return module(x).numpy()
    else:
        path = onnx_path(arch, cache)
        x = view(SHAPES[arch])
        if runtime == "ort":
            import onnxruntime as ort
            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            feed = {session.get_inputs()[0].name: x}
            info["version"] = ort.__version__

            def forward():
                return session.run(None, feed)[0]
        else:
            import openvino as ov
            core = ov.Core()
            hint = {"fp32": "f32", "bf16": "bf16"}[precision]
            compiled = core.compile_model(core.read_model(path), "CPU", {
                "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint,
                "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1})
            request = compiled.create_infer_request()
            info["version"] = ov.get_version()
            hint_now = compiled.get_property("INFERENCE_PRECISION_HINT")
            info["precision_hint"] = getattr(hint_now, "get_type_name", lambda: str(hint_now))()
            info["cpu_capabilities"] = list(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
            # What each convolution / matrix product of the compiled graph actually runs in, and with which kernel.
            heavy = {}
            for op in compiled.get_runtime_model().get_ordered_ops():
                rt = op.get_rt_info()
                kind = rt["layerType"].value
                if kind in ("Convolution", "GroupConvolution", "FullyConnected", "MatMul", "ScaledDotProductAttention"):
                    key = f"{kind} {rt['runtimePrecision'].value} {rt['primitiveType'].value}"
                    heavy[key] = heavy.get(key, 0) + 1
            info["runtime_precisions"] = heavy

            def forward():
                return np.array(request.infer({0: x})[compiled.output(0)])
    reference = forward()  # warm-up, untimed, as `vivid bench --runs` does; its output is the parity check
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        forward()
        seconds.append(time.perf_counter() - start)
    out = os.path.join(cache, f"out-{arch}-{runtime}-{precision}.npy")
    np.save(out, reference.astype(np.float32))
    return {"arch": arch, "runtime": runtime, "precision": precision, "threads": threads,
            "seconds": seconds, "output": out, **info}


# -------------------------------------------------------------------------------------------- the whole run

def vivid_supports_precision(vivid):
    wait_for(vivid)
    help_text = subprocess.run([vivid, "bench", "--help"], capture_output=True, text=True).stdout
    return "--precision" in help_text


def wait_for(binary, seconds=300):
    """The binary may be rebuilt under us: wait for it to be there again."""
    deadline = time.time() + seconds
    while not os.access(binary, os.X_OK):
        if time.time() > deadline:
            raise SystemExit(f"{binary} missing for {seconds} s")
        time.sleep(5)


def run_vivid(vivid, arch, precision, threads, runs, with_flag):
    command = [vivid, "bench", "--arch", arch, "--random-weights", "--runs", str(runs), "--json",
               "--threads", str(threads)] + (["--precision", precision] if with_flag else [])
    wait_for(vivid)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 and not os.access(vivid, os.X_OK):  # replaced while it ran: once more
        wait_for(vivid)
        done = subprocess.run(command, capture_output=True, text=True)
    result = {"arch": arch, "runtime": "vivid", "precision": precision, "command": " ".join(command[1:])}
    if done.returncode != 0:
        result["refused"] = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return result
    bench = json.loads(done.stdout)
    result["seconds"] = [ms / 1000 for ms in bench["runs_ms_per_view"]]
    result["peak_rss_mb"] = bench.get("peak_rss_mb")
    return result


def ops(result):
    return ", ".join(f"{key} ×{count}" for key, count in result["runtime_precisions"].items())


def cell(result):
    if result is None:
        return "—"
    if "refused" in result:
        return "refused"
    if "error" in result:
        return "failed"
    s = result["seconds"]
    return f"{statistics.median(s):.2f} ({min(s):.2f}–{max(s):.2f})"


def main_run(args):
    import numpy as np
    archs, threads, runs = args.archs.split(), args.threads, args.runs
    with_flag = vivid_supports_precision(args.vivid)
    precisions = VIVID_PRECISIONS if with_flag else ("fp32",)
    print(f"vivid bench --precision: {'listed' if with_flag else 'not listed by this binary: fp32 only, without the flag'}")
    results = {}
    for arch in archs:
        if arch in PEER_ARCHS:
            started = time.time()  # in its own process too: the exporter is verbose and holds a lot of memory
            done = subprocess.run([sys.executable, __file__, "export", arch, args.cache], capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{arch}: ONNX export failed:\n{done.stderr[-3000:]}", flush=True)
                continue
            path, how = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{arch}: ONNX opset {OPSET} ({how}, {time.time() - started:.0f} s) {path}", flush=True)
            for runtime, precision in PEERS:
                done = subprocess.run([sys.executable, __file__, "time", arch, runtime, precision, str(threads),
                                       str(runs), args.cache], capture_output=True, text=True)
                if done.returncode != 0:
                    tail = (done.stderr.strip().splitlines() or ["?"])[-1]
                    print(f"  {runtime} {precision}: failed: {tail}", flush=True)
                    results[arch, runtime, precision] = {"error": tail}
                    continue
                result = json.loads(done.stdout.strip().splitlines()[-1])
                results[arch, runtime, precision] = result
                print(f"  {runtime} {precision}: {cell(result)} s", flush=True)
        for precision in precisions:
            result = run_vivid(args.vivid, arch, precision, threads, runs, with_flag)
            results[arch, "vivid", precision] = result
            print(f"  vivid {precision}: {cell(result)}{'' if 'refused' in result else ' s'}  [{result['command']}]"
                  + (f"  ({result['refused']})" if "refused" in result else ""), flush=True)

    columns = [(r, p, f"{name} {p}") for (r, p), name in zip(PEERS, ("PyTorch", "ONNX Runtime", "OpenVINO", "OpenVINO"))]
    columns += [("vivid", p, f"vivid {p}") for p in VIVID_PRECISIONS]
    print(f"\nSeconds per view (batch 1), median of {runs} timed runs after one warm-up (min–max), {threads} threads:\n")
    print("| arch | " + " | ".join(c[2] for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for arch in archs:
        cells = []
        for runtime, precision, _ in columns:
            result = results.get((arch, runtime, precision))
            if runtime == "vivid" and not with_flag and precision != "fp32":
                cells.append("n/a (no --precision)")
            else:
                cells.append(cell(result))
        print(f"| {arch} | " + " | ".join(cells) + " |")

    if any(arch in PEER_ARCHS for arch in archs):
        print("\nParity of the peers' warm-up outputs with PyTorch's (same seeded input; max |diff| / max |PyTorch logit|):")
    for arch in archs:
        base = results.get((arch, "pytorch", "fp32"))
        if not base or "output" not in base:
            continue
        ref = np.load(base["output"])
        scale = float(np.abs(ref).max())
        parts = []
        for runtime, precision in PEERS[1:]:
            other = results.get((arch, runtime, precision))
            if other and "output" in other:
                diff = float(np.abs(np.load(other["output"]) - ref).max())
                parts.append(f"{runtime} {precision} {diff:.2e} ({diff / scale:.1e} rel)")
        print(f"  {arch} (max |logit| {scale:.3g}): " + "; ".join(parts))
    for arch in archs:
        result = results.get((arch, "openvino", "bf16"))
        if result and "precision_hint" in result:
            print(f"OpenVINO {result['version']} bf16 on {arch}: compiled INFERENCE_PRECISION_HINT = "
                  f"{result['precision_hint']}; heavy ops (kind, runtime precision, kernel): {ops(result)}; "
                  f"CPU capabilities {' '.join(result['cpu_capabilities'])}")
            fp32 = results.get((arch, "openvino", "fp32"))
            if fp32 and "precision_hint" in fp32:
                print(f"  (its fp32 run: hint {fp32['precision_hint']}; {ops(fp32)})")
            break
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"key": list(k), **v} for k, v in results.items()], f, indent=1)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "export":
        print(json.dumps(export(sys.argv[2], sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "time":
        arch, runtime, precision, threads, runs, cache = sys.argv[2:8]
        print(json.dumps(time_one(arch, runtime, precision, int(threads), int(runs), cache)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--vivid", required=True)
    parser.add_argument("--archs", default="vivit-b16x2 vivit-b16x2-fe timesformer-b8 csn-152 slowfast-r50")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/vivid-peers"))
    parser.add_argument("--json", help="also write every result to this file")
    main_run(parser.parse_args())


if __name__ == "__main__":
    main()
