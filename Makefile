# Vivid: build, test and benchmark. `make test` is what CI runs (.ci/run).
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: deps build serve install uninstall convert model test fuzz bench-decode bench-convnets bench-server bench-peers clean

## deps: install the Debian packages Vivid builds and tests with (only those missing)
deps:
	bash Deploy/install-deps.sh test

## build: release build of the `vivid` binary (.build/release/vivid)
build: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

## serve: build and serve the default model (Models/demo) on port 8080 (PORT=… to change)
PORT ?= 8080
serve: build
	.build/release/vivid serve --model Models/demo --port $(PORT)

## install: `.build/release/vivid` to $(PREFIX)/bin and Models/demo to $(PREFIX)/share/vivid/Models/demo, where an
## installed `vivid` finds its default model (PREFIX=/usr/local; DESTDIR=… stages it); builds nothing: `make build` first
PREFIX ?= /usr/local
install:
	@test -x .build/release/vivid || { echo "make install: no .build/release/vivid; run make build first" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/vivid/Models
	install -m 755 .build/release/vivid $(DESTDIR)$(PREFIX)/bin/vivid
	rm -rf $(DESTDIR)$(PREFIX)/share/vivid/Models/demo
	cp -R Models/demo $(DESTDIR)$(PREFIX)/share/vivid/Models/demo

## uninstall: remove what `make install` put under $(PREFIX) (same PREFIX and DESTDIR)
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vivid
	rm -rf $(DESTDIR)$(PREFIX)/share/vivid

## convert: a published checkpoint to a model folder, ARGS="FORMAT SOURCE OUT [flags]" (Tools/convert: runs
## Tools/convert.py on the system python3 that `make deps` equips, else python3 on PATH, if it has numpy and msgpack)
convert:
	bash Tools/convert $(ARGS)

## model: download a published checkpoint, check it and convert it into Models/NAME (Tools/fetch_model.sh; `make model`
## alone lists the names)
model:
	bash Tools/fetch_model.sh $(if $(NAME),$(NAME),--list)

# Tests run optimised: the models' kernels at the published sizes take minutes unoptimised. -enable-testing
# keeps @testable imports working in the release build.
TEST_FLAGS = -c release -Xswiftc -enable-testing $(BUILD_FLAGS)

## test: dependencies, every Swift test, the command-line checks, then the deployment checks (each skips
## itself with a message where debootstrap or nginx is missing); in CI (CI=true) also `make fuzz`, 60 s a target
test: deps
	$(SWIFT) build $(TEST_FLAGS)
	$(SWIFT) test --disable-xctest $(TEST_FLAGS)
	bash Tests/cli-checks.sh .build/release/vivid
	bash Deploy/check-runtime.sh .build/release/vivid
	bash Deploy/check-balancer.sh .build/release/vivid
	if [ "$(CI)" = true ]; then $(MAKE) fuzz FUZZ_SECONDS=60; fi

## fuzz: build the libFuzzer targets (multipart parser, /classify query, container check) and run each for
## FUZZ_SECONDS on a copy of its seed corpus; fails, naming the input, on any crash (Tests/Fuzz/run.sh)
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Tests/Fuzz/run.sh $(BUILD_FLAGS)

## bench-decode: time `vivid sample` against a full ffmpeg decode (Benchmarks/decode.sh)
bench-decode: build
	bash Benchmarks/decode.sh .build/release/vivid

## bench-convnets: CSN and SlowFast forward passes, against pytorchvideo when TORCH_PYTHON is set (Benchmarks/convnets.sh)
bench-convnets: build
	bash Benchmarks/convnets.sh .build/release/vivid

## bench-server: /classify overhead against `vivid classify`, /status latency under load (Benchmarks/server.sh)
bench-server: build
	bash Benchmarks/server.sh .build/release/vivid

## bench-peers: every architecture in PyTorch, ONNX Runtime, OpenVINO fp32/bf16 and vivid fp32/bf16/int8, one table (Benchmarks/peers.sh; a venv outside the repository)
bench-peers: build
	bash Benchmarks/peers.sh .build/release/vivid

clean:
	rm -rf .build
