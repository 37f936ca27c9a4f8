#!/usr/bin/env bash
# Base images for the deploy test, built from Debian packages because no container registry is reachable
# here: a debootstrapped bookworm, and on it Python 3.11 and PostgreSQL 15 (standing in for the official
# python:3.11-slim and postgres:16 that docker-compose.yml names). Each image is built only when its tag
# is missing; the tags of the two derived images carry a hash of their inputs, so a changed Dockerfile or
# entrypoint builds anew. Prints the two tags as shell assignments (NOFS_PYTHON_IMAGE=…, NOFS_POSTGRES_IMAGE=…).
set -euo pipefail
cd "$(dirname "$0")"

mirror=${NOFS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
debian=nofs-test/debian:bookworm
export DOCKER_BUILDKIT=0  # the classic builder: no buildx plugin is needed

have() { docker image inspect "$1" >/dev/null 2>&1; }

if ! have "$debian"; then
  root=$(mktemp -d /var/tmp/nofs-debootstrap.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "debootstrap bookworm from $mirror (a few minutes, once)" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - "$debian" >&2
  rm -rf "$root"
  trap - EXIT
fi

tag_of() {  # name, then the files the image is made of
  local name=$1
  shift
  echo "nofs-test/$name-$(cat "$@" | sha256sum | cut -c1-12)"
}

python_image=$(tag_of python:3.11 python.Dockerfile)
postgres_image=$(tag_of postgres:15 postgres.Dockerfile docker-entrypoint.sh)
if ! have "$python_image"; then
  docker build -q --network host --build-arg "BASE=$debian" -f python.Dockerfile -t "$python_image" . >&2
fi
if ! have "$postgres_image"; then
  docker build -q --network host --build-arg "BASE=$debian" -f postgres.Dockerfile -t "$postgres_image" . >&2
fi
# Earlier versions of the two images are only in the way now.
for stale in $(docker image ls --format '{{.Repository}}:{{.Tag}}' --filter reference=nofs-test/python --filter reference=nofs-test/postgres); do
  if [ "$stale" != "$python_image" ] && [ "$stale" != "$postgres_image" ]; then
    docker image rm "$stale" >/dev/null || true
  fi
done
echo "NOFS_PYTHON_IMAGE=$python_image"
echo "NOFS_POSTGRES_IMAGE=$postgres_image"
