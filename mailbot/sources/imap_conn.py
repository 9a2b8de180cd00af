"""Opening an IMAP connection: the one factory, TLS modes, login, clear errors.

Every IMAP call in mailbot gets its connection from :func:`open_connection`
(passed around as a :data:`Connector`), so a test double replaces exactly one
thing. The factory connects, negotiates TLS as configured, logs in with a
password or an OAuth2 bearer token (XOAUTH2) read from the environment at
that moment, and turns every low-level failure into a :class:`SourceError`
whose message says what is wrong in words an admin can act on ("login
failed", "TLS failure: certificate verify failed", "connection refused")
instead of a traceback.

Credentials never reach the log: imapclient logs protocol lines at debug
level, and :class:`RedactCredentials` (installed on its loggers at import)
blanks anything after LOGIN/AUTHENTICATE, on top of imapclient's own adapter.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.config import ImapSettings, MailboxSettings, secret
from mailbot.errors import SourceError
from mailbot.tls import tls_context

log = logging.getLogger(__name__)

#: Builds a connected, logged-in client for a mailbox. Tests pass their own.
Connector = Callable[[MailboxSettings], IMAPClient]

#: Errors that mean "the connection or the server failed", as opposed to bugs.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes socket.timeout, ssl.SSLError, ConnectionError
    IMAPClientError,  # includes LoginError, CapabilityError, IMAP4.error/abort
    imaplib.IMAP4.error,
    EOFError,
)

_SECRET_LINE = re.compile(r"(LOGIN|AUTHENTICATE)\b.*", re.IGNORECASE | re.DOTALL)


class RedactCredentials(logging.Filter):
    """Blank the arguments of LOGIN and AUTHENTICATE in protocol debug lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: let logging report it
            return True
        if _SECRET_LINE.search(text):
            record.msg = _SECRET_LINE.sub(lambda m: f"{m.group(1)} **REDACTED**", text)
            record.args = ()
        return True


def _install_redaction() -> None:
    for name in ("imapclient", "imapclient.imaplib", "imapclient.imapclient"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(RedactCredentials())


_install_redaction()


def source_name(box: MailboxSettings) -> str:
    """The source name convention: ``imap:<mailbox name>``."""
    return f"imap:{box.name}"


def imap_settings(box: MailboxSettings) -> ImapSettings:
    if box.imap is None:
        raise SourceError(f"mailbox {box.name!r} has no [mailboxes.imap] settings")
    return box.imap


def describe_error(exc: BaseException, settings: ImapSettings) -> str:
    """One line saying what went wrong, with a hint where a common mistake fits."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, SourceError):
        return str(exc)
    if isinstance(exc, LoginError):
        return f"login failed for {settings.username}: server said {_text(exc)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS failure with {where}: certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        hint = ""
        if "WRONG_VERSION_NUMBER" in str(exc) or "wrong version number" in str(exc):
            hint = " (the server did not speak TLS: implicit TLS is usually port 993, STARTTLS port 143)"
        return f"TLS failure with {where}: {getattr(exc, 'reason', None) or exc}{hint}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {settings.host!r}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(exc, TimeoutError):
        return (
            f"no answer from {where} within {settings.timeout:g}s"
            " (server down, firewall, or tls mode not matching the port?)"
        )
    if isinstance(exc, ConnectionError | EOFError | imaplib.IMAP4.abort):
        return f"connection to {where} lost: {_text(exc) or type(exc).__name__}"
    if isinstance(exc, OSError):
        return f"network error with {where}: {exc.strerror or exc}"
    return f"IMAP error from {where}: {_text(exc)}"


def _text(exc: BaseException) -> str:
    """An exception's text, with the b'...' of server responses taken off."""
    parts = []
    for arg in exc.args:
        parts.append(arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg))
    text = " ".join(parts) if parts else str(exc)
    return re.sub(r"^b['\"](.*)['\"]$", r"\1", text)


def _keepalive(client: IMAPClient) -> None:
    """TCP keepalive so a connection silently dropped by a NAT is noticed during IDLE."""
    sock = client.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if hasattr(socket, "TCP_KEEPIDLE"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 20)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    except OSError as exc:  # not fatal: IDLE renewal still catches dead connections
        log.debug("cannot set TCP keepalive: %s", exc)


def _quiet_protocol_trace(client: IMAPClient) -> None:
    """Stop imaplib formatting every response for a debug log nobody reads.

    imapclient turns imaplib's trace fully on (level 5), which repr()s each
    fetched message twice whether or not debug logging is enabled: a fifth
    of the fetch time. Keep it only when the trace is actually logged.
    """
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        imap = getattr(client, "_imap", None)
        if imap is not None and hasattr(imap, "debug"):
            imap.debug = 0


def _credentials(box: MailboxSettings, settings: ImapSettings) -> tuple[str, str]:
    """("xoauth2"|"password", secret) read from the environment now."""
    if settings.oauth2_token_env:
        token = secret(settings.oauth2_token_env)
        if not token:
            raise SourceError(
                f"imap:{box.name}: environment variable {settings.oauth2_token_env} (oauth2_token_env)"
                " is not set or empty"
            )
        return "xoauth2", token
    password = secret(settings.password_env)
    if not password:
        raise SourceError(
            f"imap:{box.name}: environment variable {settings.password_env} (password_env)"
            " is not set or empty"
        )
    return "password", password


def open_connection(box: MailboxSettings) -> IMAPClient:
    """Connect, secure and log in; the single factory for every IMAP connection.

    Raises :class:`SourceError` with a clear one-line reason on any failure.
    """
    settings = imap_settings(box)
    kind, credential = _credentials(box, settings)
    if settings.tls == "plain":
        log.warning(
            "imap:%s: plain IMAP to %s without TLS: the %s crosses the network readable; "
            "use plain for local testing only",
            box.name,
            settings.host,
            "token" if kind == "xoauth2" else "password",
        )
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.tls == "implicit",
            ssl_context=tls_context() if settings.tls == "implicit" else None,
            timeout=settings.timeout,
        )
        client.normalise_times = False  # keep INTERNALDATE's zone: received_at must be aware
        _quiet_protocol_trace(client)
        if settings.tls == "starttls":
            if not client.has_capability("STARTTLS"):
                raise SourceError(
                    f"imap:{box.name}: {settings.host}:{settings.port} does not offer STARTTLS"
                    " (tls = 'starttls'); refusing to send credentials in clear"
                )
            client.starttls(tls_context())
        _login(client, box, settings, kind, credential)
        _keepalive(client)
        return client
    except SourceError:
        _close_quietly(client)
        raise
    except NETWORK_ERRORS as exc:
        _close_quietly(client)
        raise SourceError(f"imap:{box.name}: {describe_error(exc, settings)}") from exc


def _login(
    client: IMAPClient, box: MailboxSettings, settings: ImapSettings, kind: str, credential: str
) -> None:
    if kind == "xoauth2":
        if not client.has_capability("AUTH=XOAUTH2"):
            raise SourceError(f"imap:{box.name}: the server does not offer XOAUTH2 (oauth2_token_env is set)")
        client.oauth2_login(settings.username, credential)
        return
    if client.has_capability("LOGINDISABLED"):
        raise SourceError(
            f"imap:{box.name}: the server refuses LOGIN on this connection (LOGINDISABLED);"
            " use tls = 'starttls' or 'implicit'"
        )
    client.login(settings.username, credential)


def _close_quietly(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.shutdown()
    except Exception as exc:  # closing a broken connection may fail any way it likes
        log.debug("closing a failed IMAP connection: %s", exc)


def close_connection(client: IMAPClient) -> None:
    """LOGOUT politely, or just drop the socket if the connection is already broken."""
    try:
        client.logout()
    except Exception:  # the server may be gone; the socket still has to be closed
        _close_quietly(client)
