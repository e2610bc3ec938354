# deid-engine HTTP service (`deid serve`), built OFFLINE from the repository.
#
# Nothing is fetched while building: the Python dependencies come from ./wheelhouse, filled
# beforehand on a machine with PyPI access (same CPU architecture and Python minor version as the
# base image), and the embedded model is part of the package (engine/default_model):
#
#   make wheelhouse          # pip wheel -w wheelhouse setuptools wheel '.[serve,surrogates,crypto]'
#   docker build --network=none -t deid-engine .
#   docker run --rm -p 8080:8080 -v $PWD/deid.key:/run/secrets/deid.key:ro deid-engine
#   curl -s localhost:8080/readyz
#
# The key for surrogate/hash/encrypt is mounted at run time (never baked into the image); without
# it the service runs tag and mask only and answers 400 (E130) to keyed styles.
# Set the base image to one already in the local image store when building air-gapped.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY wheelhouse/ /wheelhouse/
# The package sources (the CLI registers the training/export/bench commands, so they come along;
# their heavy dependencies are not installed; they install as engine.training, engine.export and
# engine.benchmarks) and the packaging metadata (setup.py lists the packages).
COPY pyproject.toml setup.py README.md requirements-pins.txt ./
COPY engine/ engine/
COPY training/ training/
COPY export/ export/
COPY benchmarks/ benchmarks/
# The build backend comes from the wheelhouse too (no build isolation: nothing to download).
RUN python -m venv /opt/deid \
    && /opt/deid/bin/pip install --no-index --find-links /wheelhouse 'setuptools>=68' wheel \
    && /opt/deid/bin/pip install --no-index --find-links /wheelhouse --no-build-isolation \
        -c requirements-pins.txt '.[serve,surrogates,crypto]' \
    && /opt/deid/bin/python -c "import engine.service.app, fastapi, uvicorn, prometheus_client" \
    && /opt/deid/bin/deid serve --help > /dev/null

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/deid /opt/deid
RUN useradd --system --uid 10001 --no-create-home deid
USER deid
ENV PATH=/opt/deid/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    PYTHONUNBUFFERED=1 \
    DEID_KEY_FILE=/run/secrets/deid.key
EXPOSE 8080
# uvicorn handles SIGTERM: it stops accepting, finishes open requests, then the queue drains.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8080/readyz', timeout=2).status != 200)"]
# sh execs deid, so the server is PID 1 and gets `docker stop`'s SIGTERM directly; a mounted key file
# is passed as --key-file; `docker run ... deid-engine --style surrogate` adds arguments.
ENTRYPOINT ["/bin/sh", "-c", "if [ -r \"$DEID_KEY_FILE\" ]; then set -- --key-file \"$DEID_KEY_FILE\" \"$@\"; fi; exec deid serve --host 0.0.0.0 --port 8080 \"$@\"", "deid-serve"]
CMD []
