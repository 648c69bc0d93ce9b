#!/usr/bin/env python3
"""Checks of `vivid serve` with clients nobody here wrote: Triton's HTTP client on the KServe v2 routes,
openapi-spec-validator on /openapi.json, and Prometheus' own text parser on /metrics.

    python3 Tests/client_checks.py VIVID MODEL_DIR

Run with a Python that has `tritonclient[http]`, `openapi-spec-validator` and `prometheus-client` (Tests/cli-checks.sh makes a venv
for them under ~/.cache, and skips these checks with a message when pip cannot reach its index).
Prints one line per check; exits 1 if any failed.
"""

import json
import os
import sys
import urllib.request

import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_checks import Server  # noqa: E402  (the same `vivid serve` on a free loopback port)

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Models/demo/examples/00000_take_cup.mp4")


def kserve(port, model):
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready(model), "is_model_ready"
    server = client.get_server_metadata()
    assert server["name"] == "vivid" and "version" in server, server
    metadata = client.get_model_metadata(model)
    assert metadata["name"] == model and metadata["platform"] == "vivid", metadata
    assert [i["name"] for i in metadata["inputs"]] == ["video"], metadata
    assert {"verb", "noun", "action"} <= {o["name"] for o in metadata["outputs"]}, metadata
    assert not client.is_model_ready("unknown")
    try:
        client.get_model_metadata("unknown")
        raise AssertionError("metadata of an unknown model")
    except InferenceServerException as error:
        assert "unknown" in error.message(), error.message()


def openapi(port):
    from openapi_spec_validator import validate
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json") as answer:
        document = json.load(answer)
    validate(document)
    assert document["openapi"].startswith("3.1"), document["openapi"]


def metrics(port, model):
    from prometheus_client.parser import text_string_to_metric_families
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/classify", method="POST", headers={"Content-Type": "video/mp4"},
                                                  data=open(EXAMPLE, "rb").read())).read()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as answer:
        families = {family.name: family for family in text_string_to_metric_families(answer.read().decode())}
    assert {"vivid_requests", "vivid_build_info", "process_resident_memory_bytes", "process_open_fds"} <= families.keys(), families.keys()
    forward = [sample for sample in families["vivid_forward_duration_seconds"].samples if sample.name.endswith("_count")]
    assert forward and forward[0].labels == {"model": model} and forward[0].value == 1, forward


def main():
    vivid, model_dir = sys.argv[1], sys.argv[2]
    model = json.load(open(f"{model_dir}/config.json"))["name"]
    server = Server(vivid, model_dir)
    port = server.port
    failed = 0
    try:
        for name, check in (("tritonclient: server and model live, ready and described over KServe v2", lambda: kserve(port, model)),
                            ("openapi-spec-validator accepts /openapi.json (OpenAPI 3.1)", lambda: openapi(port)),
                            ("prometheus_client parses /metrics: families, model labels", lambda: metrics(port, model))):
            try:
                check()
                print(f"ok   {name}")
            except Exception as error:  # noqa: BLE001 - any failure is reported and counted
                failed += 1
                print(f"FAIL {name}: {type(error).__name__}: {error}")
    finally:
        server.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
