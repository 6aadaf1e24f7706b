#!/usr/bin/env bash
# A Debian base image for deploy/Dockerfile made from Debian's own packages (no image registry
# needed): mmdebstrap builds the root file system from the machine's Debian mirror, buildah
# imports it as an image. Usage: deploy/debian-base.sh IMAGE_NAME
# The package list is what the Dockerfile needs of its base: Python 3.11 with venv (the torch
# wheel is built for CPython 3.11), CA certificates for pip, and useradd (passwd).
set -euo pipefail
image=${1:?usage: $0 IMAGE_NAME}
suite=${DEBIAN_SUITE:-bookworm}
packages=python3,python3-venv,ca-certificates,passwd
# Rebuilt only when this script changes (or the image is missing): same inputs, same base.
stamp=$(sha256sum "$0" | cut -c1-12)
if buildah inspect --type image "$image" >/dev/null 2>&1 \
    && [ "$(buildah inspect --type image --format '{{index .ImageAnnotations "ai-strategy.base"}}' "$image")" = "$stamp" ]; then
    echo "base image $image is up to date"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${container:-}" ] && buildah rm "$container" >/dev/null 2>&1 || true' EXIT
# --variant=minbase: Essential and Priority:required packages plus the list, no docs or locales.
mmdebstrap --quiet --variant=minbase --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    "$suite" "$work/rootfs.tar"
container=$(buildah from scratch)
buildah add --quiet "$container" "$work/rootfs.tar" /
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/bash --annotation "ai-strategy.base=$stamp" "$container"
buildah commit --quiet --rm "$container" "$image" >/dev/null
container=
echo "base image $image: $(buildah inspect --type image --format '{{.FromImageID}}' "$image" | cut -c1-12)"
