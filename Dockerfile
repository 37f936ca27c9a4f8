# One image for the migrate, worker and web services of docker-compose.yml; by itself it serves the web.
# Two stages: the first builds nofs's wheel and a virtual environment from hash-pinned wheels
# (deploy/requirements.lock); the second is the base image, git (the ingest runs it), that environment
# and a non-root user. No source tree, build backend, pip or apt lists are left in the image.
# PYTHON_IMAGE is any Debian-based Python 3.11 with venv (the deploy test builds one from Debian packages).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# Wheels are taken from deploy/wheelhouse first (empty in the repository), then from PyPI; PIP_NO_INDEX=1
# builds from the wheelhouse alone, offline or behind a proxy (docs/operations.md). The hashes decide.
ARG PIP_NO_INDEX=0
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_FIND_LINKS=/wheelhouse
COPY deploy/build-requirements.lock deploy/requirements.lock /tmp/
COPY deploy/wheelhouse /wheelhouse
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip install -q --require-hashes --only-binary :all: -r /tmp/build-requirements.lock \
 && python3 -m venv /opt/nofs \
 && /opt/nofs/bin/pip install -q --require-hashes --only-binary :all: -r /tmp/requirements.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app app
COPY cli cli
COPY ingest ingest
COPY migrations migrations
COPY templates templates
COPY static static
# A plain wheel install (not -e): the templates and static files travel inside the package.
RUN /opt/build/bin/pip wheel -q --no-deps --no-build-isolation --wheel-dir /tmp/wheels . \
 && /opt/nofs/bin/pip install -q --no-deps --no-index /tmp/wheels/nofs-*.whl \
 && /opt/nofs/bin/python -m pip uninstall -q -y pip setuptools \
 && find /opt/nofs -name __pycache__ -prune -exec rm -rf {} + \
 && /opt/nofs/bin/python -m compileall -q /opt/nofs/lib

FROM ${PYTHON_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log \
 && useradd --uid 10001 --user-group --no-create-home --home-dir /var/cache/nofs --shell /usr/sbin/nologin nofs \
 && mkdir -p /var/cache/nofs \
 && chown nofs:nofs /var/cache/nofs
COPY --from=build /opt/nofs /opt/nofs
ENV PATH=/opt/nofs/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    NOFS_CACHE_DIR=/var/cache/nofs \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000
USER nofs
WORKDIR /var/cache/nofs
EXPOSE 8000
# The web answers its about page (which reads the database); the compose file turns this off for
# migrate and worker, which serve nothing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-m", "app.healthcheck"]
CMD ["uvicorn", "app.main:app", "--proxy-headers"]
