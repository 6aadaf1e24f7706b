# The two commands of the README: `make run` and `make test`. Both install into .venv/ first
# (again only when pyproject.toml changed).
PYTHON ?= python3
VENV := .venv
export HF_HUB_OFFLINE := 1

.PHONY: run test lint bench install image image-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# The CPU build of torch, pinned: any other spec pulls gigabytes of CUDA packages.
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[dev,postgres]'
	touch $@

install: $(VENV)/.installed

# The real bot when Slack credentials are configured, else the local sandbox page.
run: $(VENV)/.installed
	$(VENV)/bin/ai-strategy start

# Lint and format checks (ruff) and types (mypy, on common/, ingest/ and bot/) first: fast.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

# Every figure of the README's benchmarks; bench/results/ keeps the details. Both share one
# exported ONNX model (exported once, kept in .data/models). The 200-mention load test and the
# index sizes (deploy/README.md) are `python -m bench.load_test` and `python -m bench.index_size`.
bench: $(VENV)/.installed
	AI_STRATEGY_MODEL_DIR=$${AI_STRATEGY_MODEL_DIR:-$(CURDIR)/.data/models} \
		$(VENV)/bin/python -m bench.speed
	AI_STRATEGY_MODEL_DIR=$${AI_STRATEGY_MODEL_DIR:-$(CURDIR)/.data/models} \
		$(VENV)/bin/python -m bench.slack_latency

# The container image (deploy/README.md): `docker build` where a Docker engine runs, else
# buildah on a Debian base made from Debian's packages; pip's configuration of this machine is
# used for the build and not kept in the image.
IMAGE ?= ai-strategy
image:
	IMAGE=$(IMAGE) deploy/build-image.sh

# Smoke-runs the built image (buildah run) with no network but loopback: a network namespace
# of its own (root, or `unshare` allowed), in which the test starts the Slack emulator.
image-test: $(VENV)/.installed
	AI_STRATEGY_TEST_IMAGE=$(IMAGE) unshare --net sh -c \
		'ip link set lo up && exec $(VENV)/bin/pytest -q -m slow tests/test_deploy.py -k image'
