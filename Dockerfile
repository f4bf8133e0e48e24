# cdn-exporter container image.
#
#   docker build -t cdn-exporter:0.1.0 .
#   docker run --rm -p 10090:10090 cdn-exporter:0.1.0 --demo --web.listen-address 0.0.0.0:10090
#
# BASE_IMAGE must provide python3 with the venv module; CI without registry access can pass a
# locally imported Debian image (--build-arg BASE_IMAGE=local/debian-python:bookworm). Python
# is always invoked through the venv, so /usr/bin vs /usr/local/bin does not matter.
ARG BASE_IMAGE=python:3.12-slim

# --- build: the project and all its dependencies as wheels -----------------------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /src
RUN python3 -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir --upgrade "pip>=24" "setuptools>=68" "wheel>=0.43"
COPY pyproject.toml README.md ./
COPY collector ./collector
RUN /opt/build/bin/pip wheel --no-cache-dir --wheel-dir /wheels .

# --- runtime: a venv with the wheels installed, nothing else ---------------------------------
FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="cdn-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Wangsu/CDNetworks and Volcengine Live reporting APIs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Installed offline from the build stage's wheels only (--no-index): the runtime stage never
# reaches a package index, and the wheel cache is not left in any layer.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels cdn-exporter \
    && /opt/venv/bin/pip uninstall --yes pip
# nobody:nogroup; the config and secrets are mounted read-only (see deploy/kubernetes/).
USER 65534:65534
WORKDIR /tmp
EXPOSE 10090
# GET /-/healthy where the exporter's own flags say it listens (read from its command line),
# over HTTPS when its --web.config.file serves TLS. With basic_auth_users in that file, pass
# a user's password: -e CDN_EXPORTER_HEALTHCHECK_PASSWORD_FILE=/run/secrets/... (the user is
# CDN_EXPORTER_HEALTHCHECK_USER, default "probe").
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-m", "collector.healthcheck"]
ENTRYPOINT ["cdn-exporter"]
CMD ["--config", "/etc/cdn-exporter/config.yaml"]
