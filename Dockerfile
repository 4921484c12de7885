# GoSocial images, two targets from one file (compose.yaml builds both):
#   runtime  the API (`python -m api`), the default target
#   migrate  the one-shot schema deploy: `python3 -m stack.database` (sqitch, psql), the same
#            provisioning as make run, started by scripts/container-migrate.sh
# No container runtime runs in this repository's CI: `make test` lints this file with hadolint
# (tests/test_containers.py). See README.md, "Containers".

# Debian 12, the release `make test` runs sqitch, psql and the service on.
FROM python:3.11.14-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A fixed numeric uid, so an orchestrator can check runAsNonRoot without reading /etc/passwd.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app gosocial
WORKDIR /app

FROM base AS build
RUN python -m venv /opt/venv
# requirements-runtime.lock is requirements.lock less the dev extra (`make lock` writes both,
# with the same pins and hashes; tests/test_containers.py checks they agree): pytest, ruff,
# mypy, schemathesis and hadolint have no business in the image. Hash-checking mode also
# refuses any dependency the lock does not pin.
COPY requirements-runtime.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements-runtime.lock
# The project itself as `make install` does it: editable, so api/mail.py finds /app/templates
# beside the package; its dependencies are already there (--no-deps), and `pip check` fails
# the build if the lock lacks one.
COPY pyproject.toml README.md ./
COPY api/ api/
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && /opt/venv/bin/pip check

FROM base AS migrate
# Debian 12's sqitch 1.3.1, the version the sqitch.conf layout is tested with (DESIGN.md);
# psql creates the database and the service's login. Versions are pinned to the release line,
# not the build: Debian stable's archive drops superseded security updates, so an exact pin
# would break. stack/ is standard library only: the base image's python3 runs it, no venv.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        'sqitch=1.3.*' 'libdbd-pg-perl=3.16.*' 'postgresql-client-15=15.*' \
    && rm -rf /var/lib/apt/lists/*
COPY sqitch.conf sqitch.plan ./
COPY db/ db/
COPY stack/ stack/
COPY scripts/container-migrate.sh scripts/
# sqitch records who deployed each change; a system user has no full name to offer.
ENV SQITCH_FULLNAME="GoSocial compose deploy" \
    SQITCH_EMAIL=deploy@gosocial.invalid
USER 10001
CMD ["scripts/container-migrate.sh"]

FROM base AS runtime
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY templates/ templates/
# The service listens on 127.0.0.1 by default (api/settings.py); in a container it must
# listen on every interface for a published port to reach it.
ENV PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8080
USER 10001
EXPOSE 8080
# /livez checks no dependency (docs/api.md): a database outage must not get the container killed.
# Slim images have no curl; urlopen raises (exit 1) on a refused connection or any non-2xx.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/livez', timeout=2)"]
CMD ["python", "-m", "api"]
