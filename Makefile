# The two commands of the README: `make run` and `make test`. Both install into .venv/ first
# (again only when pyproject.toml changed).
PYTHON ?= python3
VENV := .venv
export HF_HUB_OFFLINE := 1

.PHONY: run test bench install image image-test

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

test: $(VENV)/.installed
	$(VENV)/bin/pytest

# Every figure of the README's benchmarks (about 8 minutes); bench/results/ keeps the details.
# The 200-mention load test and the index sizes (deploy/README.md) are `python -m bench.load_test`
# and `python -m bench.index_size`.
bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench.speed
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
