# One image for the migrate, worker and web services of docker-compose.yml.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/nofs
COPY pyproject.toml README.md ./
COPY app app
COPY ingest ingest
COPY migrations migrations
COPY templates templates
COPY static static
# Editable: the templates and static files are read next to the code.
RUN pip install --no-cache-dir -e .
ENV NOFS_CACHE_DIR=/var/cache/nofs
RUN mkdir -p /var/cache/nofs && chown nobody /var/cache/nofs
USER nobody
