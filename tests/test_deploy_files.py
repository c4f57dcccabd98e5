"""The deployment files cannot run here (no container engine), so they are kept honest by reading
them: every file, command, port and environment variable they name exists in the project."""

from __future__ import annotations

import fnmatch
import importlib
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from searchsvc import errors
from searchsvc.app import create_app
from searchsvc.cli import build_parser
from searchsvc.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent
SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
# Variables of the runtime in the image (pip, Python; XDG_RUNTIME_DIR: gunicorn's control socket), not settings.
RUNTIME_VARS = {
    "PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK",
    "XDG_RUNTIME_DIR",
}
PLACEHOLDER_SECRET = "s3cret"


# ---- readers -------------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (PROJECT / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in logical.splitlines() if line.strip()]


def instructions(name: str) -> list[str]:
    return [args for instruction, args in dockerfile() if instruction == name]


def exec_form(args: str) -> list[str]:
    return yaml.safe_load(args) if args.startswith("[") else shlex.split(args)


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instructions("ENV"):
        for item in shlex.split(args):
            key, _, value = item.partition("=")
            env[key] = value
    return env


def runtime_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not --from another stage)."""
    copies = []
    for args in instructions("COPY"):
        words = shlex.split(args)
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        copies.append((words[:-1], words[-1]))
    return copies


def compose() -> dict:
    return yaml.safe_load((PROJECT / "compose.yml").read_text())


def compose_variables() -> set[str]:
    return set(re.findall(r"\$\{(\w+)", (PROJECT / "compose.yml").read_text()))


def interpolate(value: str) -> str:
    """A compose value with each ${VAR:-default} replaced by its default (required ones by a placeholder)."""
    value = re.sub(r"\$\{\w+:\?[^}]*\}", PLACEHOLDER_SECRET, value)
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (PROJECT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def settings_from(env: dict[str, str], monkeypatch, tmp_path) -> Settings:
    """Settings as the service reads them from exactly these environment variables."""
    monkeypatch.chdir(tmp_path)  # no .env file
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def gunicorn_config(monkeypatch) -> dict:
    for name in ("BIND", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(PROJECT / "ops" / "gunicorn.conf.py"))


def gunicorn_variables() -> set[str]:
    return set(re.findall(r"os\.environ\.get\(\"(\w+)\"", (PROJECT / "ops" / "gunicorn.conf.py").read_text()))


def gunicorn_port(monkeypatch) -> int:
    [address] = gunicorn_config(monkeypatch)["bind"]
    return int(address.rsplit(":", 1)[1])


def nginx() -> str:
    return re.sub(r"#[^\n]*", "", (PROJECT / "ops" / "nginx.conf").read_text())


def workflow() -> dict:
    return yaml.safe_load((PROJECT / ".github" / "workflows" / "ci.yml").read_text())


async def app_routes() -> set[str]:
    app = await create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    return {resource.canonical for resource in app.router.resources()}


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (last matching pattern wins)."""
    ignored = False
    for pattern in (PROJECT / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            ignored = not negated
    return ignored


# ---- Dockerfile ------------------------------------------------------------------------------

def test_dockerfile_is_multi_stage_on_slim_python_311_as_a_non_root_user():
    args = dict(a.split("=", 1) for a in instructions("ARG") if "=" in a)
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], a.split()[0]) for a in instructions("FROM")]
    assert len(bases) >= 2
    assert all(re.fullmatch(r"python:3\.11-slim(-\w+)?", base) for base in bases), bases
    assert instructions("FROM")[-1].split()[-1] != "build"  # the final stage is not the build stage
    [user] = instructions("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert any("useradd" in run and user.split(":")[0] in run for run in instructions("RUN"))


def test_dockerfile_copies_only_files_that_exist_and_reach_the_build_context():
    copies = runtime_copies()
    sources = [source for sources, _ in copies for source in sources]
    assert {"setup.cfg", "pyproject.toml", "searchsvc/", "migrations/", "ops/gunicorn.conf.py"} <= set(sources)
    for source in sources:
        assert (PROJECT / source).exists(), source
        assert not dockerignored(source.rstrip("/")), f"{source} is excluded by .dockerignore"
    # dependencies come from the package metadata, installed before the code is copied
    runs = instructions("RUN")
    assert any("pip install ." in run for run in runs)


def test_dockerfile_environment_is_settings_and_points_inside_the_image():
    env = dockerfile_env()
    assert set(env) - RUNTIME_VARS <= SETTINGS_VARS, set(env) - RUNTIME_VARS - SETTINGS_VARS
    destinations = {destination.rstrip("/") for _, destination in runtime_copies()}
    assert env["MIGRATIONS_DIR"] in destinations  # the image's migrations are where the setting says
    assert not any(re.search(r"PASSWORD|SECRET|TOKEN", key) for key in env)
    assert "DATABASE_URL" not in env  # secrets come at run time


async def test_dockerfile_serves_with_gunicorn_uvloop_and_checks_liveness(monkeypatch):
    command = exec_form(instructions("CMD")[-1])
    assert command[0] == "gunicorn"
    config_in_image = command[command.index("--config") + 1]
    [config_source] = [s for sources, d in runtime_copies() for s in sources if d == config_in_image]
    assert config_source == "ops/gunicorn.conf.py"

    module, _, factory = command[-1].partition(":")
    assert getattr(importlib.import_module(module), factory) is create_app

    config = gunicorn_config(monkeypatch)
    assert config["worker_class"] == "aiohttp.GunicornUVLoopWebWorker"
    worker_module, _, worker = config["worker_class"].rpartition(".")
    assert hasattr(importlib.import_module(worker_module), worker)

    port = gunicorn_port(monkeypatch)
    assert instructions("EXPOSE") == [str(port)]
    [healthcheck] = instructions("HEALTHCHECK")
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", healthcheck)
    assert int(url.group(1)) == port
    assert url.group(2) == "/healthz" and url.group(2) in await app_routes()


# ---- compose.yml -----------------------------------------------------------------------------

def test_compose_database_is_postgres_15_with_a_volume_and_pg_isready():
    services, volumes = compose()["services"], compose()["volumes"]
    db = services["db"]
    assert db["image"].split(":")[1].startswith("15")
    [volume] = db["volumes"]
    assert volume.split(":")[0] in volumes
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${")  # never a literal secret


def test_compose_migrates_once_before_the_app_starts():
    services = compose()["services"]
    command = services["migrate"]["command"]
    assert command[0] == "searchsvc"
    args = build_parser().parse_args(command[1:])
    assert args.command == "migrate" and not args.rollback
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert {services[s]["build"] for s in ("migrate", "app")} == {"."}
    assert (PROJECT / "Dockerfile").exists()


def test_compose_app_environment_names_real_settings_with_valid_defaults(monkeypatch, tmp_path):
    services = compose()["services"]
    for name in ("migrate", "app"):
        env = services[name]["environment"]
        unknown = set(env) - SETTINGS_VARS - gunicorn_variables()
        assert not unknown, f"{name}: {unknown} are neither settings nor gunicorn variables"
        settings = settings_from({k: interpolate(str(v)) for k, v in env.items() if k in SETTINGS_VARS}, monkeypatch, tmp_path)
        assert settings.database_url.endswith("@db:5432/searchsvc")  # the defaults are valid settings
    assert "DATABASE_URL" in services["app"]["environment"]


def test_compose_variables_are_documented_in_env_example(monkeypatch, tmp_path):
    example = env_example()
    assert compose_variables() <= set(example), compose_variables() - set(example)
    unused = set(example) - compose_variables() - SETTINGS_VARS - gunicorn_variables()
    assert not unused, unused
    settings_from({k: v for k, v in example.items() if k in SETTINGS_VARS}, monkeypatch, tmp_path)


def test_compose_proxy_and_load_test_name_files_that_exist(monkeypatch):
    services = compose()["services"]
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (PROJECT / source).exists(), source
    assert "./ops/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert services["app"]["expose"] == [str(gunicorn_port(monkeypatch))]
    # on `docker compose stop`, gunicorn drains in-flight requests before docker kills it
    grace = int(services["app"]["stop_grace_period"].rstrip("s"))
    assert grace > gunicorn_config(monkeypatch)["graceful_timeout"]

    locust = services["locust"]
    assert locust["profiles"] == ["loadtest"]
    [mount] = [v for v in locust["volumes"] if v.startswith("./ops/locust:")]
    in_container = mount.split(":")[1]
    locustfile = locust["command"][locust["command"].index("-f") + 1]
    assert locustfile.startswith(in_container + "/")
    assert (PROJECT / "ops" / "locust" / locustfile[len(in_container) + 1:]).is_file()
    host = interpolate(locust["command"][locust["command"].index("--host") + 1])
    assert host == f"http://app:{gunicorn_port(monkeypatch)}"


# ---- nginx -------------------------------------------------------------------------------------

def test_nginx_proxies_to_the_app_port_with_gzip_rate_limit_timeouts_and_request_id(monkeypatch):
    conf = nginx()
    [upstream] = re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", conf)
    [server] = re.findall(r"server\s+([\w.-]+):(\d+)", upstream[1])
    assert server[0] in compose()["services"]
    assert int(server[1]) == gunicorn_port(monkeypatch)
    assert f"proxy_pass http://{upstream[0]};" in conf

    assert re.search(r"gzip\s+on;", conf) and "application/json" in conf
    zone = re.search(r"limit_req_zone\s+\$binary_remote_addr\s+zone=(\w+):\w+\s+rate=20r/s;", conf)  # as README.md states
    assert zone and re.search(rf"limit_req\s+zone={zone.group(1)}\s+burst=40\b", conf)
    for timeout in ("proxy_connect_timeout", "proxy_read_timeout", "client_body_timeout"):
        assert re.search(rf"{timeout}\s+\d+s;", conf), timeout
    read_timeout = int(re.search(r"proxy_read_timeout\s+(\d+)s;", conf).group(1))
    assert read_timeout * 1000 > Settings.model_fields["statement_timeout_ms"].default
    # the app, not nginx, answers an over-long query string (414) or body (413), as JSON
    buffer_kb = int(re.search(r"large_client_header_buffers\s+\d+\s+(\d+)k;", conf).group(1))
    assert buffer_kb * 1024 > Settings.model_fields["max_query_string_length"].default + 100
    body_mb = int(re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1))
    assert body_mb * 1024 * 1024 > Settings.model_fields["max_body_bytes"].default

    # X-Request-ID: the client's when the app would keep it too, else nginx's $request_id;
    # sent to the app and back to the client
    mapped = re.search(r"map\s+\$http_x_request_id\s+\$(\w+)\s*\{(.*?)\n\s*\}", conf, re.S)
    assert mapped and re.search(r"default\s+\$request_id;", mapped.group(2))
    [(pattern, value)] = re.findall(r'"~(.+)"\s+(\S+);', mapped.group(2))
    assert value == "$http_x_request_id"
    assert pattern == "^" + errors._REQUEST_ID_FORMAT.pattern + "$"
    assert f"proxy_set_header X-Request-ID ${mapped.group(1)};" in conf
    assert f"add_header X-Request-ID ${mapped.group(1)} always;" in conf


# ---- CI ----------------------------------------------------------------------------------------

def test_ci_tests_against_postgres_15_then_builds_and_pushes_on_main_only():
    flow = workflow()
    triggers = flow.get("on", flow.get(True))
    assert {"push", "pull_request"} <= set(triggers)

    test = flow["jobs"]["test"]
    [postgres] = test["services"].values()
    assert postgres["image"].split(":")[1].startswith("15")
    assert "TEST_DATABASE_URL" in test["env"]
    assert test["env"]["PG_BINDIR"] == "/usr/lib/postgresql/15/bin"  # the tests' own clusters are 15 too
    assert any(step.get("run", "").startswith("make test") for step in test["steps"])
    assert re.search(r"^test:", (PROJECT / "Makefile").read_text(), re.M)

    image = flow["jobs"]["image"]
    assert image["needs"] == "test"
    assert "refs/heads/main" in image["env"]["PUSH"]
    pushes = [s for s in image["steps"] if s.get("with", {}).get("push")]
    assert pushes and all(s["if"] == "env.PUSH == 'true'" for s in pushes)
    text = (PROJECT / ".github" / "workflows" / "ci.yml").read_text()
    assert "vars.REGISTRY" in text and "vars.IMAGE_NAME" in text
    login = next(s for s in image["steps"] if s.get("uses", "").startswith("docker/login-action"))
    assert all(login["with"][k].startswith("${{ secrets.") for k in ("username", "password"))


def test_make_run_defaults_are_valid_settings(monkeypatch, tmp_path):
    """`make run` sets no variable beyond DATABASE_URL: the defaults must validate on their own."""
    assert settings_from({}, monkeypatch, tmp_path).port == 8080


@pytest.mark.parametrize(
    "path, schema",
    [("compose.yml", "vendor.compose-spec"), (".github/workflows/ci.yml", "vendor.github-workflows")],
)
def test_file_matches_its_published_schema(path, schema):
    """compose.yml and the workflow against the schemas docker compose and GitHub publish (shipped offline)."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(PROJECT / path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
