# GoSocial front door: `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Targets that talk to a database use DATABASE_URL; by default the project-local cluster of `make run`.
DATABASE_URL ?= postgresql://postgres@127.0.0.1:55432/gosocial
SQITCH_TARGET := db:$(subst postgresql://,pg://,$(DATABASE_URL))
SEED_ARGS ?=
PY_SOURCES := api stack tests scripts $(wildcard bench)

.PHONY: help install lock run cluster test test-quick lint fmt seed seed-large db-deploy db-revert db-verify db-test db-new db-release gen-docs bench bench-cluster soak services-stop

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: ## install Debian packages and the virtualenv (idempotent)
	@scripts/bootstrap.sh

lock: install ## refresh requirements.lock (pinned, hashed) from pyproject.toml's ranges, and its runtime subset
	$(VENV)/bin/pip-compile -q --generate-hashes --extra dev --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--upgrade -o requirements.lock pyproject.toml
	@# The container image's lock: the same pins less the dev extra. Seeded with the full lock and
	@# compiled without --upgrade, so pip-compile keeps every pin and only drops the dev-only ones.
	cp requirements.lock requirements-runtime.lock
	$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		-o requirements-runtime.lock pyproject.toml

run: install ## serve the API on 127.0.0.1:8080 (starts local PostgreSQL and Redis unless DATABASE_URL/REDIS_URL are set); its output in .data/run.log too
	@$(PY) -m stack.run

.PHONY: clean-data
clean-data: ## stop what still runs under .data/ (make run, make cluster), saying so, then remove it (its size printed)
	@python3 -m stack.clean

cluster: install ## replicated PostgreSQL (etcd x3, 3 Patroni nodes, HAProxy, PgBouncer), Redis, 2 API instances behind :8080 (CLUSTER_ARGS="--fresh")
	@$(PY) -u -m stack.cluster $(CLUSTER_ARGS)

# Test processes in parallel: the modules mostly wait on their servers, so more than the cores.
TEST_WORKERS ?= 4
PYTEST := $(VENV)/bin/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

test: lint ## lint, then every tier in parallel (tests/unit, database, service, cluster, container)
	$(PYTEST) $(PYTEST_ARGS)

test-quick: install ## the unit, database and service tiers less the slow modules: the developer's loop (~2 min)
	$(PYTEST) -m "not cluster and not container and not slow" $(PYTEST_ARGS)

soak: install ## 60 s mixed workload against 2 workers: no 5xx, bounded memory and connections, no lost write
	SOAK_SECONDS=$${SOAK_SECONDS:-60} $(VENV)/bin/pytest -q -s -p no:cacheprovider tests/service/test_soak.py

lint: install ## ruff (checks and formatting) and mypy
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/mypy

fmt: install ## ruff format and import order
	$(VENV)/bin/ruff check --fix $(PY_SOURCES) && $(VENV)/bin/ruff format $(PY_SOURCES)

db-deploy: install ## sqitch deploy to DATABASE_URL
	sqitch deploy $(SQITCH_TARGET)

db-revert: install ## sqitch revert everything from DATABASE_URL
	sqitch revert -y $(SQITCH_TARGET)

db-verify: install ## sqitch verify DATABASE_URL
	sqitch verify $(SQITCH_TARGET)

db-test: install ## run the pgTAP suite with pg_prove against a deployed DATABASE_URL
	pg_prove --dbname "$(DATABASE_URL)" db/tests/*.sql

db-new: ## add a sqitch change: make db-new NAME=functions/x NOTE="..."
	@test -n "$(NAME)" || (echo "usage: make db-new NAME=functions/<verb>_<noun> NOTE='...'"; exit 2)
	sqitch add $(NAME) -n "$(or $(NOTE),Add $(NAME))"

db-release: ## tag a schema release and record its checksums: make db-release TAG=v1.2 NOTE="..."
	@test -n "$(TAG)" || (echo "usage: make db-release TAG=v<major>.<minor> NOTE='...'"; exit 2)
	sqitch tag $(TAG) -n "$(or $(NOTE),Release $(TAG))"
	python3 scripts/released.py record $(TAG)

seed: install ## fill DATABASE_URL with deterministic data (SEED_ARGS="-v users=100000 -v posts=1000000 -v follows=50")
	time psql "$(DATABASE_URL)" -X -q -v ON_ERROR_STOP=1 $(SEED_ARGS) -f db/seed/seed.sql

seed-large: ## seed at benchmark size: 100k users, 1M posts, 50 follows each
	$(MAKE) seed SEED_ARGS="-v users=100000 -v posts=1000000 -v follows=50"

gen-docs: install ## write docs/openapi.json
	$(PY) -m api.openapi_dump docs/openapi.json

bench: install ## load-test the service against same-run ceilings and PostgREST; writes bench/REPORT.md (~15 min)
	@bench/run.sh

bench-cluster: install ## the service over make cluster's replicas and PgBouncer; writes bench/CLUSTER.md (~5 min)
	$(PY) -m bench.cluster
