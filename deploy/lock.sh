#!/usr/bin/env bash
# Regenerate the image's pinned dependencies from pyproject.toml, with hashes, against PyPI alone:
# requirements.lock (what nofs needs at run time) and build-requirements.lock (the build backend).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
# Only PyPI: no local indexes, find-links or constraints of this machine leak into the lock.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT
python3 -m venv "$venv"
"$venv/bin/pip" install -q pip-tools
compile=("$venv/bin/pip-compile" -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links
  --allow-unsafe)
"${compile[@]}" --output-file deploy/requirements.lock pyproject.toml
"${compile[@]}" --only-build-deps --all-build-deps --output-file deploy/build-requirements.lock pyproject.toml
