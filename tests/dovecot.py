"""A throwaway Dovecot IMAP server on 127.0.0.1 for integration tests and benchmarks.

Why a real server: the IMAP source's promises (no loss, no duplicates across
kills, restarts and UIDVALIDITY resets; IDLE push) are about a real server's
behaviour, which a fake would only mirror our own assumptions about.

Dovecot runs in the foreground (``-F``) in its own process group, so
:meth:`Dovecot.kill` can SIGKILL the whole server at once, like a crash, and
:meth:`Dovecot.start` can bring it back on the same ports. Every user name
logs in with :data:`PASSWORD` (a static passdb), so a test gets an empty
mailbox just by picking a fresh user name. XOAUTH2 is offered too; Dovecot
checks the bearer token against the same passdb, so the token is
:data:`PASSWORD` as well. With ``tls=True`` a throwaway CA and a certificate
for ``localhost``/127.0.0.1 are made with the ``openssl`` command; point
``SSL_CERT_FILE`` at :attr:`Dovecot.ca_file` to trust it.

Notes from running it as root (see shared/notes/dovecot.md): the directory
must be traversable by the ``mail`` user, so it is made with
``tempfile.mkdtemp`` under /tmp (pytest's tmp dirs are 0700 root).
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

from mailbot.config import Config, ConfigFile
from mailbot.store import Store

#: Every user's password and XOAUTH2 token; distinctive, so tests can look for it in logs.
PASSWORD = "dovecot-pw-Q7x2Zk"
PASSWORD_ENV = "MAILBOT_TEST_IMAP_PASSWORD"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (small race accepted in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _make_certificates(base: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost and 127.0.0.1 (openssl CLI)."""
    ca_key, ca_cert = base / "ca.key", base / "ca.pem"
    key, csr, cert = base / "server.key", base / "server.csr", base / "server.pem"
    ext = base / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    commands = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
         "-keyout", str(ca_key), "-out", str(ca_cert)],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(csr)],
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
         "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert)],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    for path in (key, cert, ca_cert):
        path.chmod(0o644)
    return ca_cert, cert, key


def _live_group_members(pgid: int) -> list[int]:
    """PIDs in process group ``pgid`` that are not zombies (read from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


@dataclass
class Dovecot:
    """One Dovecot instance: config, ports, process; start/stop/kill/restart."""

    base: Path
    port: int
    tls_port: int | None = None
    idle: bool = True
    ca_file: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def create(cls, *, tls: bool = False, idle: bool = True) -> Dovecot:
        """Write a config into a fresh directory (not started yet)."""
        base = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
        base.chmod(0o755)
        server = cls(base=base, port=free_port(), tls_port=free_port() if tls else None, idle=idle)
        for sub in ("run", "state", "mail", "home"):
            (base / sub).mkdir()
        shutil.chown(base / "mail", "mail", "mail")
        shutil.chown(base / "home", "mail", "mail")
        cert = key = None
        if tls:
            server.ca_file, cert, key = _make_certificates(base)
        (base / "dovecot.conf").write_text(server._config(cert, key))
        return server

    def _config(self, cert: Path | None, key: Path | None) -> str:
        base = self.base
        ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n" if cert and key else "ssl = no\n"
        imaps = f"  inet_listener imaps {{\n    port = {self.tls_port}\n    ssl = yes\n  }}\n" if cert else ""
        # Without IDLE in the list the server still understands IDLE, but a client
        # that honours CAPABILITY (as it must) falls back to polling.
        capability = (
            ""
            if self.idle
            else "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS MOVE NAMESPACE UNSELECT"
            " MULTIAPPEND\n"
        )
        return (
            f"base_dir = {base}/run\n"
            f"state_dir = {base}/state\n"
            f"log_path = {base}/dovecot.log\n"
            "listen = 127.0.0.1\n"
            "protocols = imap\n"
            f"{ssl}"
            "disable_plaintext_auth = no\n"
            "auth_mechanisms = plain login xoauth2\n"
            "auth_failure_delay = 0\n"
            "default_login_user = dovenull\n"
            "default_internal_user = dovecot\n"
            "first_valid_uid = 1\n"
            "mail_max_userip_connections = 200\n"
            "mail_fsync = never\n"
            f"mail_location = maildir:{base}/mail/%u\n"
            f"{capability}"
            "namespace inbox {\n"
            "  inbox = yes\n"
            "  separator = /\n"
            "  mailbox Sent {\n"
            "    special_use = \\Sent\n"
            "    auto = create\n"
            "  }\n"
            "  mailbox Archive {\n"
            "    auto = create\n"
            "  }\n"
            "}\n"
            "passdb {\n"
            "  driver = static\n"
            f"  args = password={PASSWORD}\n"
            "}\n"
            "userdb {\n"
            "  driver = static\n"
            f"  args = uid=mail gid=mail home={base}/home/%u\n"
            "}\n"
            "service imap-login {\n"
            "  chroot =\n"
            "  inet_listener imap {\n"
            f"    port = {self.port}\n"
            "  }\n"
            f"{imaps}"
            "}\n"
            "service anvil {\n"
            "  chroot =\n"
            "  unix_listener anvil-auth-penalty {\n"  # no growing delays after the wrong-password tests
            "    mode = 0\n"
            "  }\n"
            "}\n"
        )

    # -- process control -------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start in the foreground, in a new session; return once the port answers."""
        pid_file = self.base / "run" / "master.pid"
        pid_file.unlink(missing_ok=True)  # a killed master leaves it behind
        log = (self.base / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.base / "dovecot.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole server (master, login and imap processes), like a crash."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._wait_children_gone()
        self.process = None

    def stop(self) -> None:
        """Orderly shutdown (clients get BYE)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._wait_children_gone()
        self.process = None

    def _wait_children_gone(self) -> None:
        """Wait until no process of the server's group is alive (zombies count as gone).

        Killed children are re-parented to PID 1, which may reap them late;
        what matters is that none of them still holds a socket or a file.
        """
        assert self.process is not None
        pgid = self.process.pid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _live_group_members(pgid):
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.02)

    def restart(self) -> None:
        self.kill()
        self.start()

    def destroy(self) -> None:
        """Stop and delete every file of this instance."""
        self.kill()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("dovecot.log", "stdout.log"):
            path = self.base / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- seeding and inspection -------------------------------------------

    def client(self, user: str) -> IMAPClient:
        """A logged-in plain connection for seeding and checking (not the code under test)."""
        client = IMAPClient(HOST, port=self.port, ssl=False, timeout=30)
        client.login(user, PASSWORD)
        return client

    def append(self, user: str, messages: Iterable[bytes], folder: str = "INBOX") -> int:
        """APPEND messages (MULTIAPPEND in chunks); returns how many."""
        count = 0
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            chunk: list[bytes] = []
            for message in messages:
                chunk.append(message)
                if len(chunk) >= 200:
                    client.multiappend(folder, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                client.multiappend(folder, chunk)
                count += len(chunk)
        return count

    def write_maildir(self, user: str, messages: Iterable[bytes]) -> int:
        """Drop messages straight into the user's Maildir INBOX (fast seeding for benchmarks).

        Dovecot indexes them at the next SELECT; call :meth:`warm` before timing anything.
        """
        root = self.base / "mail" / user
        for sub in ("new", "cur", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        count = 0
        stamp = int(time.time())
        for count, message in enumerate(messages, start=1):
            name = f"{stamp}.M{count}P{os.getpid()}.bench,S={len(message)}"
            (root / "new" / name).write_bytes(message)
        for path in (root, *root.rglob("*")):
            shutil.chown(path, "mail", "mail")
        return count

    def warm(self, user: str, folder: str = "INBOX") -> int:
        """Make Dovecot index a folder now (so the first timed client does not pay for it)."""
        with self.client(user) as client:
            info = client.select_folder(folder, readonly=True)
            client.search(["UID", "1:*"])
            client.search(["SMALLER", "1"])  # touches every message's size
            return int(info[b"EXISTS"])

    def recreate_folder(self, user: str, folder: str) -> None:
        """DELETE and CREATE a folder: same name, new UIDVALIDITY, empty."""
        with self.client(user) as client:
            if client.folder_exists(folder):
                client.delete_folder(folder)
            client.create_folder(folder)


@contextmanager
def running_dovecot(*, tls: bool = False, idle: bool = True) -> Iterator[Dovecot]:
    """A started Dovecot, destroyed afterwards (for fixtures and the benchmark)."""
    server = Dovecot.create(tls=tls, idle=idle)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


# -- realistic test messages ------------------------------------------------

_LINES = (
    "Hello, my order has not arrived yet and the tracking page has not changed for a week.",
    "Goedendag, ik wil graag mijn abonnement opzeggen en het teveel betaalde bedrag terug.",
    "Labdien, pasūtījums ieradās bojāts, lūdzu, nosūtiet jaunu vai atmaksājiet naudu.",
    "สวัสดีครับ สินค้าที่สั่งยังไม่ได้รับ กรุณาตรวจสอบให้ด้วยครับ",
    "Could you please send me an invoice with our company VAT number on it?",
    "The device stops charging after a few minutes; I already tried another cable.",
)


def sample_message(index: int, *, kind: str = "text", seed: int = 0) -> bytes:
    """A plausible customer e-mail, unique per (index, seed), deterministic.

    ``kind``: ``text`` (2-8 KB plain), ``html`` (multipart/alternative,
    10-40 KB) or ``attachment`` (plain text plus a 100-300 KB base64 file).
    """
    rng = random.Random(index * 7919 + seed)
    lines = [rng.choice(_LINES) for _ in range(rng.randint(20, 80))]
    text = "\r\n".join(lines) + f"\r\n\r\nRegards,\r\nCustomer {index}\r\n"
    headers = (
        f"Received: from mx{rng.randint(1, 9)}.example.net by mail.example.com;"
        " Mon, 3 Nov 2025 10:00:00 +0000\r\n"
        f"From: Customer {index} <customer{index}@example.net>\r\n"
        "To: support@example.com\r\n"
        f"Subject: Order {100000 + index} question\r\n"
        f"Date: Mon, 3 Nov 2025 {index % 24:02d}:{index % 60:02d}:00 +0100\r\n"
        f"Message-ID: <msg-{seed}-{index}@example.net>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if kind == "text":
        return (headers + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + text).encode()  # fmt: skip
    boundary = f"b{seed}x{index}"
    parts = [f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"]
    if kind == "html":
        html = "".join(f'<p style="font-family:Arial">{line}</p>\r\n' for line in lines * 3)
        parts.append(
            f"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}"
        )
        subtype = "alternative"
    else:
        blob = base64.encodebytes(rng.randbytes(rng.randint(75_000, 225_000))).decode().replace("\n", "\r\n")
        parts.append(
            'Content-Type: application/pdf; name="invoice.pdf"\r\n'
            'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{blob}"
        )
        subtype = "mixed"
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return (headers + f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n' + body).encode()


def realistic_mix(count: int, *, seed: int = 0) -> Iterator[bytes]:
    """``count`` messages: 70% plain text, 25% HTML, 5% with an attachment (about 20 KB average)."""
    for index in range(count):
        slot = index % 20
        kind = "attachment" if slot == 0 else "html" if slot <= 5 else "text"
        yield sample_message(index, kind=kind, seed=seed)


# -- the mailbot side ---------------------------------------------------------


#: The store the IMAP tests use (Store includes the IMAP queries).
ImapTestStore = Store


def imap_config(
    server: Dovecot,
    work: Path,
    user: str,
    *,
    name: str = "support",
    extra: list[dict[str, object]] | None = None,
    **imap: object,
) -> Config:
    """A Config whose mailbox ``name`` reads ``user`` on ``server`` (plain IMAP, password from
    :data:`PASSWORD_ENV`); ``imap`` overrides ImapSettings keys, ``extra`` adds more mailboxes."""
    settings: dict[str, object] = {
        "host": HOST,
        "port": server.port,
        "tls": "plain",
        "username": user,
        "password_env": PASSWORD_ENV,
    }
    settings.update(imap)
    mailboxes = [{"name": name, "address": f"{name}@example.com", "imap": settings}, *(extra or [])]
    parsed = ConfigFile.model_validate({"mailboxes": mailboxes})
    return Config(
        file=work / "config.toml",
        settings=parsed,
        store_path=work / "store.sqlite3",
        policies_dir=work,
        phrasebank_dir=work,
    )
