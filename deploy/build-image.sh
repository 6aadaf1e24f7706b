#!/usr/bin/env bash
# `make image`: build deploy/Dockerfile as IMAGE (default ai-strategy), with `docker build` where
# a Docker engine answers, else with buildah on a Debian base made by deploy/debian-base.sh.
# Python packages come through this machine's pip configuration (deploy/pip_build_config.py),
# handed to the build as a secret and bind mounts: nothing of it is kept in the image.
# Override: IMAGE, BASE_IMAGE (the Dockerfile's BASE), TORCH_INDEX_URL, BUILDER=docker|buildah.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-ai-strategy}
if [ -z "${BUILDER:-}" ]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        BUILDER=docker
    else
        BUILDER=buildah
    fi
fi
config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT
mapfile -t pip_options < <(python3 deploy/pip_build_config.py "$config" "$BUILDER")
# Where a pip configuration names indexes or wheel folders, torch comes through it too (here:
# the CPU wheel on disk); without one, from PyTorch's CPU index (the Dockerfile's default).
args=()
if [ -n "${TORCH_INDEX_URL+set}" ]; then
    args+=(--build-arg "TORCH_INDEX_URL=$TORCH_INDEX_URL")
elif grep -qE '^(index-url|extra-index-url|find-links) ' "$config/pip.conf"; then
    args+=(--build-arg "TORCH_INDEX_URL=")
fi
[ -n "${BASE_IMAGE:-}" ] && args+=(--build-arg "BASE=$BASE_IMAGE")
case "$BUILDER" in
docker)
    DOCKER_BUILDKIT=1 docker build "${args[@]}" "${pip_options[@]}" \
        -f deploy/Dockerfile -t "$image" .
    ;;
buildah)
    pull=false  # pulled once, then reused
    if [ -z "${BASE_IMAGE:-}" ]; then
        BASE_IMAGE=localhost/ai-strategy-base:bookworm
        deploy/debian-base.sh "$BASE_IMAGE"
        args+=(--build-arg "BASE=$BASE_IMAGE")
        pull=never  # made here, in no registry
    fi
    # --layers: unchanged steps are reused (dependencies are installed before the code is
    # copied); --format docker keeps the HEALTHCHECK, which OCI images cannot carry.
    buildah build --isolation chroot --layers --format docker --pull="$pull" \
        --ignorefile deploy/Dockerfile.dockerignore \
        "${args[@]}" "${pip_options[@]}" -f deploy/Dockerfile -t "$image" .
    ;;
*)
    echo "BUILDER must be docker or buildah, not '$BUILDER'" >&2
    exit 2
    ;;
esac
