"""ops/gunicorn.conf.py: the production server's worker class, bind and worker count from the environment."""

import multiprocessing
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "ops" / "gunicorn.conf.py"


def load(monkeypatch, **env) -> dict:
    for name in ("BIND", "WEB_CONCURRENCY", "GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults_one_uvloop_worker_per_core_on_all_interfaces(monkeypatch):
    conf = load(monkeypatch)
    assert conf["worker_class"] == "aiohttp.GunicornUVLoopWebWorker"
    assert conf["workers"] == multiprocessing.cpu_count()
    assert conf["bind"] == ["0.0.0.0:8080"]
    assert conf["graceful_timeout"] > 0 and conf["preload_app"] is False


def test_environment_sets_bind_workers_and_grace(monkeypatch):
    conf = load(monkeypatch, BIND="127.0.0.1:9000, unix:/run/searchsvc.sock", WEB_CONCURRENCY="3", GRACEFUL_TIMEOUT="5")
    assert conf["bind"] == ["127.0.0.1:9000", "unix:/run/searchsvc.sock"]
    assert (conf["workers"], conf["graceful_timeout"]) == (3, 5)
