"""A private PostgreSQL cluster for the benchmark, started and stopped by it.

The recipe of Tests/LadingTestSupport/PostgresServer.swift: initdb and pg_ctl from the
newest /usr/lib/postgresql/*/bin, a folder of its own under /tmp owned by the postgres
user (initdb and the server refuse root, so as root they run through
`runuser -u postgres --`), a free port, the unix socket in that folder. Unlike the tests
it keeps PostgreSQL's default durability (fsync, synchronous_commit, full_page_writes
on): a load figure without them would say nothing about a real server. It listens on
the socket only. Stopped (and its folder removed) when the `with` block ends, whatever
ends it; SIGTERM and SIGHUP end it as Ctrl-C does. A cluster left by a bench that was
killed (its owner.pid no longer running) is stopped by the next start.
"""
import glob, os, pwd, shutil, signal, socket, subprocess, sys, tempfile

PREFIX = "lading-bench-pg-"


def _bin_directory():
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(os.path.join(d, "initdb"), os.X_OK)]
    if found:
        return max(found, key=lambda d: float(d.split("/")[-2]) if d.split("/")[-2].replace(".", "").isdigit() else 0)
    try:
        directory = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if os.access(os.path.join(directory, "initdb"), os.X_OK):
            return directory
    except (OSError, subprocess.CalledProcessError):
        pass
    sys.exit("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
             "install Debian's postgresql package (`make deps-test` does), or skip these rows with --no-postgres")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postmaster_pid(folder):
    try:
        with open(os.path.join(folder, "data", "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class PostgresCluster:
    def __init__(self):
        self.bin = _bin_directory()
        self.version = os.path.basename(os.path.dirname(self.bin))
        self.as_root = os.getuid() == 0
        self.folder = None
        self.port = None
        self.databases = []
        self.counter = 0

    # -- starting and stopping

    def __enter__(self):
        self._stop_leftovers()
        self.folder = tempfile.mkdtemp(prefix=PREFIX, dir="/tmp")
        with open(os.path.join(self.folder, "owner.pid"), "w") as f:
            f.write(f"{os.getpid()}\n")
        self._previous = {s: signal.signal(s, self._interrupted) for s in (signal.SIGTERM, signal.SIGHUP)}
        try:
            if self.as_root:
                user = pwd.getpwnam("postgres")
                os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_postgres([f"{self.bin}/initdb", "-D", f"{self.folder}/data", "-U", "postgres", "--auth-local=trust",
                               "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
            # No TCP listener: the port only names the socket in the cluster's own folder.
            self.port = _free_port()
            self._as_postgres([f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/server.log",
                               "-w", "-t", "60", "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=''", "start"],
                              "pg_ctl start")
            return self
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_):
        self.stop()
        return False

    def _interrupted(self, number, _frame):
        raise KeyboardInterrupt(f"signal {number}")

    def stop(self):
        if self.folder is None:
            return
        if _postmaster_pid(self.folder):
            self._as_postgres([f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-m", "fast", "-w", "stop"], "pg_ctl stop",
                              check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
        for number, handler in getattr(self, "_previous", {}).items():
            signal.signal(number, handler)

    def _stop_leftovers(self):
        for folder in glob.glob(f"/tmp/{PREFIX}*"):
            try:
                owner = int(open(os.path.join(folder, "owner.pid")).read())
            except (OSError, ValueError):
                owner = None
            if owner and _alive(owner):
                continue
            pid = _postmaster_pid(folder)
            if pid and _alive(pid):
                self._as_postgres([f"{self.bin}/pg_ctl", "-D", f"{folder}/data", "-m", "immediate", "-w", "stop"],
                                  "pg_ctl stop", check=False)
            print(f"removed a benchmark cluster a killed run left: {folder}", file=sys.stderr)
            shutil.rmtree(folder, ignore_errors=True)

    def _as_postgres(self, command, what, check=True):
        if self.as_root:
            runuser = next((p for p in ("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser") if os.access(p, os.X_OK)), None)
            if runuser is None:
                sys.exit(f"running as root, and runuser (util-linux) is missing: cannot run {what} as postgres")
            command = [runuser, "-u", "postgres", "--"] + command
        result = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            log = ""
            if self.folder and os.path.exists(f"{self.folder}/server.log"):
                log = "".join(open(f"{self.folder}/server.log").readlines()[-30:])
            sys.exit(f"the benchmark's PostgreSQL could not start: {what} failed ({result.returncode})\n"
                     f"command: {' '.join(command)}\n{result.stdout}{result.stderr}\nserver log:\n{log}")
        return result

    # -- using it

    def dsn(self, database):
        return f"host={self.folder} port={self.port} user=postgres dbname={database}"

    def psql_command(self, database, command=None, script=None):
        """psql without ~/.psqlrc, stopping at the first error; one -c command or a script file."""
        base = [f"{self.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(database)]
        return base + (["-c", command] if command is not None else ["-f", script])

    def psql(self, database, command):
        result = subprocess.run(self.psql_command(database, command), capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"psql failed on {command[:200]}: {result.stderr}")
        return result.stdout.strip()

    def fresh_database(self, prefix, setup=None, template=None, keep=False):
        """A new database (a copy of `template` if given), `setup` run in it, then a
        CHECKPOINT so the timed command starts with no dirty pages of earlier work. The
        scratch databases of earlier runs are dropped first (their autovacuum with them);
        one made with `keep` stays until `drop_databases(everything=True)`."""
        self.drop_databases()
        self.counter += 1
        name = f"{prefix}_{self.counter}"
        self.psql("postgres", f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        self.databases.append((name, keep))
        if setup:
            self.psql(name, setup)
        self.psql("postgres", "CHECKPOINT")
        return name

    def drop_databases(self, everything=False):
        for name, kept in list(self.databases):
            if everything or not kept:
                self.psql("postgres", f"DROP DATABASE IF EXISTS {name}")
                self.databases.remove((name, kept))
