"""`make loadtest`: the real stack on loopback under 50 users, with a worker killed and Redis
restarted in the middle, then a check that every notification written was delivered once.

What it starts, all on 127.0.0.1 and all its own (nothing shared with the tests or the demo):
a PostgreSQL database (`LOADTEST_DATABASE_URL`, recreated and seeded with the demo city), a
private redis-server with append-only persistence, gunicorn serving the production settings, two
Celery workers and beat. Then `LOADTEST_USERS` virtual users (default 50) act for
`LOADTEST_SECONDS` (default 60) in a realistic mix:

- street and community staff browse the demand and resource lists (pages and API) and publish
  demands through the API,
- the contact of a member unit reads the demands it may claim and claims them,
- a party member logs service on the phone page,
- a district leader reads lists and the committee tree.

A third of the way in, one worker is killed (SIGKILL: a crashed machine) and replaced five
seconds later; half way in, Redis is stopped and started again. At the end the script prints
requests per second and p50/p95/p99 per kind, the errors (5xx or broken connections: there must
be none apart from those the faults explain, listed separately), the refusals (4xx: business
rules such as a demand already claimed or a day's 24 hours), and whether every notification
written was delivered exactly once per channel. Exit status 1 when anything is unexplained.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DATABASE_URL = os.environ.get(
    "LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loadtest"
)
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "60"))
PASSWORD = "Dangjian@2026"  # the demo accounts' password (demo/accounts.py)
DRAIN_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


# --- the stack ----------------------------------------------------------------------------------


class Stack:
    """The processes of the real stack, each in its own process group."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.redis_port = free_port()
        self.web_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "loadtest-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "MEDIA_ROOT": str(workdir / "media"),
            "LOG_LEVEL": "WARNING",
            # Many users share one loopback address: the sign-in throttle counts per account.
            "AXES_FAILURE_LIMIT": "1000",
        }

    def manage(self, *args: str) -> None:
        """A management command before the stack is up: tasks run eagerly, in the command."""
        env = {**self.env, "REDIS_URL": ""}
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)

    def start(self, name: str, command: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child)
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start_redis(self) -> None:
        self.start(
            "redis",
            [
                "redis-server",
                "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--dir", str(self.workdir), "--appendonly", "yes", "--save", "",
                "--maxmemory-policy", "noeviction",
            ],
        )  # fmt: skip
        wait_for_port(self.redis_port)

    def start_worker(self, name: str) -> None:
        self.start(
            name,
            [PYTHON, "-m", "celery", "-A", "config", "worker", "-c", "2", "-n", f"{name}@%h",
             "--without-gossip", "--without-mingle", "-l", "WARNING"],
        )  # fmt: skip

    def up(self) -> None:
        self.start_redis()
        self.start(
            "web",
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-b",
             f"127.0.0.1:{self.web_port}", "-w", "3", "--threads", "4", "--timeout", "60",
             "--preload"],
        )  # fmt: skip
        self.start_worker("worker1")
        self.start_worker("worker2")
        self.start(
            "beat",
            [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "WARNING",
             "-s", str(self.workdir / "beat-schedule")],
        )  # fmt: skip
        wait_for_port(self.web_port)

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def restart_redis(self) -> None:
        self.kill("redis", signal.SIGTERM)  # a clean stop: the append-only file is flushed
        self.start_redis()

    def down(self) -> None:
        for name in list(self.processes):
            with suppress(Exception):
                self.kill(name, signal.SIGTERM)


def prepare_database(stack: Stack) -> None:
    parsed = urllib.parse.urlparse(DATABASE_URL)
    name = parsed.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   check=True)  # fmt: skip
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    stack.manage("migrate", "--noinput", "-v0")
    stack.manage("collectstatic", "--noinput", "-v0")
    stack.manage("seed_demo")


# --- a user's connection --------------------------------------------------------------------------


class Client:
    """One user's HTTP connection with its own cookies (set by hand: the production cookies are
    Secure, and this is plain HTTP on loopback) and, for API calls, its token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        # The API is called with the token alone: with a session cookie DRF would ask for CSRF.
        if self.cookies and not path.startswith("/api/"):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token and path.startswith("/api/"):
            headers["Authorization"] = f"Token {self.token}"
        headers.setdefault("Host", "127.0.0.1")
        # A kept-alive connection the server has since closed is reopened and the request sent
        # again, once, as browsers do; a second failure is a real one.
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.reconnect()
                if attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.reconnect()
                raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def form(self, path: str, fields: dict[str, str]):
        """GET the page for its CSRF token, then POST the form as a browser would."""
        self.request("GET", path)
        fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
            },
        )

    def json(self, method: str, path: str, payload: dict):
        return self.request(
            method, path, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )

    def sign_in(self, username: str) -> None:
        status, _ = self.form("/accounts/login/", {"username": username, "password": PASSWORD})
        if status not in (200, 302):
            raise RuntimeError(f"{username} cannot sign in: {status}")
        status, data = self.request(
            "POST",
            "/api/token/",
            urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 200:
            raise RuntimeError(f"{username} gets no token: {status} {data[:200]!r}")
        self.token = json.loads(data)["token"]


# --- what users do --------------------------------------------------------------------------------


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refusals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[tuple[float, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, started: float, status: int | None, detail: str = "") -> None:
        elapsed = time.monotonic() - started
        with self.lock:
            if status is None or status >= 500:
                self.errors.append((time.monotonic(), kind, detail or str(status)))
            elif status >= 400:
                self.refusals[kind] += 1
                self.timings[kind].append(elapsed)
            else:
                self.timings[kind].append(elapsed)


def act(results: Results, kind: str, call) -> None:
    started = time.monotonic()
    try:
        status = call()
    except Exception as error:  # a broken connection counts as an error, never a crash
        results.record(kind, started, None, f"{type(error).__name__}: {error}")
        return
    results.record(kind, started, status)


def staff_user(client: Client, rng: random.Random, results: Results, context: dict) -> None:
    choice = rng.random()
    if choice < 0.35:
        act(results, "staff: demand list page", lambda: client.request("GET", "/demands/")[0])
    elif choice < 0.55:
        act(results, "staff: resource list page", lambda: client.request("GET", "/resources/")[0])
    elif choice < 0.8:
        page = rng.randint(1, 3)
        act(results, "staff: demand list API",
            lambda: client.request("GET", f"/api/demands/?page={page}")[0])  # fmt: skip
    else:
        payload = {
            "title": f"压力测试需求{rng.randint(1, 10**6)}：老年人助餐",
            "description": "社区独居老人多，希望就近解决午餐。",
            "category": "养老服务",
            "source": "resident",
            "urgency": "normal",
            "people_affected": rng.randint(1, 40),
            "committee": context["community_id"],
            "publish": True,
        }
        act(results, "staff: publish demand", lambda: client.json("POST", "/api/demands/",
            payload)[0])  # fmt: skip


def unit_user(client: Client, rng: random.Random, results: Results, context: dict) -> None:
    if rng.random() < 0.6:
        act(results, "unit: demand list API",
            lambda: client.request("GET", "/api/demands/?status=published")[0])  # fmt: skip
        return

    def claim():
        status, data = client.request("GET", "/api/matches/")
        if status != 200:
            return status
        rows = json.loads(data).get("results", [])
        if not rows:
            return 200
        match = rng.choice(rows)
        return client.json(
            "POST",
            "/api/claims/",
            {"direction": "unit_claims", "demand": match["demand"], "resource": match["resource"],
             "message": "我单位可以承接"},
        )[0]  # fmt: skip

    act(results, "unit: claim a matched demand", claim)


def member_user(client: Client, rng: random.Random, results: Results, context: dict) -> None:
    if rng.random() < 0.5:
        act(results, "member: my service page",
            lambda: client.request("GET", "/party-members/me/")[0])  # fmt: skip
        return
    fields = {
        "served_on": context["today"],
        "hours": "0.5",
        "kind": "volunteer",
        "description": "楼门口垃圾分类引导",
        "location": "社区党群服务中心",
    }
    act(results, "member: log service", lambda: client.form("/party-members/me/", fields)[0])


def leader_user(client: Client, rng: random.Random, results: Results, context: dict) -> None:
    path = rng.choice(["/api/demands/", "/api/resources/", "/committees/", "/demands/"])
    act(results, f"leader: {path}", lambda: client.request("GET", path)[0])


MIX = [  # (share of the users, account, behaviour)
    (0.20, "donghuamen_staff", staff_user),
    (0.25, "community_staff", staff_user),
    (0.15, "jingshan_staff", staff_user),
    (0.15, "unit_contact_demo", unit_user),
    (0.10, "dangyuan_demo", member_user),
    (0.15, "dongcheng_leader", leader_user),
]


def sign_in_users(port: int, results: Results) -> list[tuple[Client, object]]:
    """Every user signs in before the clock starts (password hashing is slow on purpose), four
    at a time."""
    plan = []
    for share, username, behaviour in MIX:
        plan += [(username, behaviour)] * max(1, round(share * USERS))
    users: list[tuple[Client, object]] = []
    lock = threading.Lock()

    def sign_in(batch):
        for username, behaviour in batch:
            client = Client(port)
            started = time.monotonic()
            try:
                client.sign_in(username)
            except Exception as error:
                results.record("sign in", started, None, f"{username}: {error}")
                continue
            with lock:
                users.append((client, behaviour))

    threads = [threading.Thread(target=sign_in, args=(plan[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return users


def run_users(users, results: Results, stop: threading.Event, context: dict) -> int:
    def one(index: int, client: Client, behaviour) -> None:
        rng = random.Random(index)
        while not stop.is_set():
            behaviour(client, rng, results, context)
            time.sleep(rng.uniform(0.05, 0.3))  # think time

    for index, (client, behaviour) in enumerate(users):
        threading.Thread(target=one, args=(index, client, behaviour), daemon=True).start()
    return len(users)


# --- the check at the end -------------------------------------------------------------------------


CHECK = """
import json, time
from django.db.models import Count
from notifications.models import Delivery, Notification
deadline = time.monotonic() + {drain}
while time.monotonic() < deadline:
    pending = Delivery.objects.exclude(status__in=["sent", "dead"]).count()
    if not pending:
        break
    time.sleep(1)
by_status = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
repeated = Delivery.objects.values("notification_id", "channel").annotate(n=Count("pk")).filter(n__gt=1).count()
print(json.dumps({{
    "notifications": Notification.objects.count(),
    "deliveries": by_status,
    "repeated_keys": repeated,
}}))
"""


def deliveries_check(stack: Stack) -> dict:
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", CHECK.format(drain=DRAIN_SECONDS)],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(results: Results, seconds: float, faults: list[tuple[float, str]], users: int) -> bool:
    total = sum(len(v) for v in results.timings.values())
    print(
        f"\n{users} users for {seconds:.0f} s: {total} requests, {total / seconds:.1f} per second"
    )
    print(f"{'kind':40} {'n':>6} {'4xx':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in sorted(results.timings):
        values = results.timings[kind]
        print(
            f"{kind:40} {len(values):6d} {results.refusals.get(kind, 0):5d} "
            f"{statistics.median(values) * 1000:8.0f} {percentile(values, 0.95) * 1000:8.0f} "
            f"{percentile(values, 0.99) * 1000:8.0f}"
        )
    # An error within a few seconds of a fault is the fault's; anything else is unexplained.
    explained, unexplained = [], []
    for at, kind, detail in results.errors:
        cause = next((name for when, name in faults if when - 1 <= at <= when + 10), None)
        (explained if cause else unexplained).append((kind, detail, cause))
    print(f"\nerrors explained by a fault: {len(explained)}")
    for kind, detail, cause in explained[:20]:
        print(f"  {kind}: {detail} ({cause})")
    print(f"errors not explained: {len(unexplained)}")
    for kind, detail, _cause in unexplained[:20]:
        print(f"  {kind}: {detail}")
    return not unexplained


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="loadtest-"))
    stack = Stack(workdir)
    print(f"loadtest: working in {workdir}; database {DATABASE_URL}")
    try:
        prepare_database(stack)
        stack.up()
        context = {
            "community_id": int(
                subprocess.run(
                    [PYTHON, "manage.py", "shell", "-c",
                     "from committees.models import Committee;"
                     "print(Committee.objects.get(division_code='110101001001').pk)"],
                    cwd=ROOT, env=stack.env, capture_output=True, text=True, check=True,
                ).stdout.split()[-1]
            ),
            "today": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600)),
        }  # fmt: skip
        results = Results()
        signed_in = sign_in_users(stack.web_port, results)
        print(f"loadtest: {len(signed_in)} users signed in")
        stop = threading.Event()
        started = time.monotonic()
        users = run_users(signed_in, results, stop, context)
        faults: list[tuple[float, str]] = []
        time.sleep(SECONDS / 3)
        stack.kill("worker1")
        faults.append((time.monotonic(), "worker killed"))
        print(f"loadtest: killed worker1 at {time.monotonic() - started:.0f} s")
        time.sleep(5)
        stack.start_worker("worker3")
        time.sleep(max(0.0, SECONDS / 2 - (time.monotonic() - started)))
        faults.append((time.monotonic(), "redis restarted"))
        stack.restart_redis()
        print(f"loadtest: restarted Redis at {time.monotonic() - started:.0f} s")
        time.sleep(max(0.0, SECONDS - (time.monotonic() - started)))
        stop.set()
        elapsed = time.monotonic() - started
        clean = report(results, elapsed, faults, users)
        check = deliveries_check(stack)
        undelivered = {k: v for k, v in check["deliveries"].items() if k != "sent"}
        print(
            f"\nnotifications written: {check['notifications']}; deliveries by status: "
            f"{check['deliveries']}; channels delivered more than once: {check['repeated_keys']}"
        )
        once = not undelivered and check["repeated_keys"] == 0
        print("every notification delivered exactly once" if once else "NOT delivered once")
        for name in ("web", "worker2", "worker3"):
            log = (workdir / f"{name}.log").read_text(errors="replace")
            tracebacks = len(re.findall(r"^Traceback", log, re.M))
            if tracebacks:
                print(f"{name}.log: {tracebacks} tracebacks (see {workdir / (name + '.log')})")
        return 0 if clean and once else 1
    finally:
        stack.down()
        if os.environ.get("LOADTEST_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
