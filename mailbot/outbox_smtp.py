"""The outbox's SMTP boundary: the one connection factory, and what a server's answer means.

Every SMTP connection mailbot makes comes from :func:`open_smtp` (passed
around as an :data:`SmtpConnector`), so a test replaces exactly one thing.
It connects with implicit TLS, STARTTLS (refusing to go on when the server
does not offer it) or plain, verifies certificates (system CAs or
``$SSL_CERT_FILE``), and logs in with the password named by
``password_env``, read from the environment at that moment.

:func:`transmit` sends one message on an open connection and sorts the
result into a :class:`Verdict`. The line that matters most is between
"definitely not delivered" and "maybe delivered": any failure before the
DATA command, and any answer the server gives (4xx, 5xx), is definite; a
connection that breaks or times out *during* DATA is not, because the
server may have taken the message and only its "250" was lost (RFC 1047).
Such a message is ``AMBIGUOUS`` and must never be sent again automatically.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from mailbot.config import MailboxSettings, SmtpSettings, secret
from mailbot.errors import MailbotError
from mailbot.tls import tls_context

log = logging.getLogger(__name__)

#: Builds a connected (and logged-in) SMTP client for a mailbox. Tests pass their own.
SmtpConnector = Callable[[MailboxSettings], Awaitable[aiosmtplib.SMTP]]

#: How long to wait for the answer to the end of DATA. RFC 5321 4.5.3.2.6 asks
#: clients for 10 minutes: giving up earlier turns a slow "250" into an
#: ``unknown`` reply that a person has to sort out.
FINAL_REPLY_TIMEOUT = 600.0


class SmtpUnavailable(MailbotError):
    """No usable SMTP session: connection, TLS or login failed (nothing was sent)."""


class Verdict(StrEnum):
    """What one attempt means for the reply."""

    DELIVERED = "delivered"  # the server said 250 to the end of DATA
    TEMPORARY = "temporary"  # not delivered; try again later (4xx, connection lost before DATA)
    PERMANENT = "permanent"  # not delivered; the server refused (5xx): a person must act
    AMBIGUOUS = "ambiguous"  # the connection broke during DATA: maybe delivered


@dataclass(frozen=True)
class Outcome:
    """One attempt's verdict with the server's code and words (or what broke)."""

    verdict: Verdict
    code: int | None
    text: str

    def describe(self) -> str:
        return f"{self.code} {self.text}" if self.code is not None else self.text


def smtp_settings(box: MailboxSettings) -> SmtpSettings:
    if box.smtp is None:
        raise SmtpUnavailable(f"mailbox {box.name!r} has no [mailboxes.smtp] settings; it cannot send")
    return box.smtp


def describe_failure(exc: BaseException, settings: SmtpSettings) -> str:
    """One line an admin can act on, instead of a traceback."""
    where = f"{settings.host}:{settings.port}"
    cause = exc.__cause__
    if isinstance(exc, SMTPConnectError) and not isinstance(exc, SMTPResponseException) and cause is not None:
        return describe_failure(cause, settings)  # aiosmtplib wraps the socket's own error
    if isinstance(exc, SMTPAuthenticationError):
        return f"login failed for {settings.username}: server said {exc.code} {exc.message}"
    if isinstance(exc, SMTPResponseException):
        return f"{where} answered {exc.code} {exc.message}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS failure with {where}: certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        hint = ""
        if "WRONG_VERSION_NUMBER" in str(exc) or "wrong version number" in str(exc):
            hint = " (implicit TLS is usually port 465, STARTTLS port 587)"
        return f"TLS failure with {where}: {getattr(exc, 'reason', None) or exc}{hint}"
    if isinstance(exc, SMTPTimeoutError | TimeoutError):
        return f"no answer from {where} within {settings.timeout:g}s"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {settings.host!r}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(exc, SMTPServerDisconnected | ConnectionError):
        return f"connection to {where} lost: {exc}"
    if isinstance(exc, SMTPException):
        return f"{where}: {exc}"
    if isinstance(exc, OSError):
        return f"network error with {where}: {exc.strerror or exc}"
    return f"{where}: {type(exc).__name__}: {exc}"


async def open_smtp(box: MailboxSettings) -> aiosmtplib.SMTP:
    """Connect, secure and log in; the single factory for every SMTP connection.

    Raises :class:`SmtpUnavailable` with a one-line reason on any failure.
    """
    settings = smtp_settings(box)
    password: str | None = None
    if settings.username:
        password = secret(settings.password_env)
        if not password:
            raise SmtpUnavailable(
                f"smtp:{box.name}: environment variable {settings.password_env} (password_env)"
                " is not set or empty"
            )
        if settings.tls == "plain":
            log.warning(
                "smtp:%s: plain SMTP to %s without TLS: the password crosses the network readable;"
                " use plain for local testing only",
                box.name,
                settings.host,
            )
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        timeout=settings.timeout,
        use_tls=settings.tls == "implicit",
        start_tls=False,
        tls_context=tls_context() if settings.tls != "plain" else None,
    )
    try:
        await client.connect()
        if settings.tls == "starttls":
            await client.ehlo()
            if not client.supports_extension("starttls"):
                raise SmtpUnavailable(
                    f"smtp:{box.name}: {settings.host}:{settings.port} does not offer STARTTLS"
                    " (tls = 'starttls'); refusing to go on in clear"
                )
            await client.starttls()
        if settings.username and password:
            await client.login(settings.username, password)
    except SmtpUnavailable:
        client.close()
        raise
    except (SMTPException, OSError) as exc:
        client.close()
        raise SmtpUnavailable(f"smtp:{box.name}: {describe_failure(exc, settings)}") from exc
    return client


async def close_smtp(client: aiosmtplib.SMTP) -> None:
    """QUIT politely, or just drop the connection when it is already broken."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (SMTPException, OSError):
        client.close()


def _answered(code: int, text: str, *, during_data: bool) -> Outcome:
    if 400 <= code < 500:
        return Outcome(Verdict.TEMPORARY, code, text)
    if 500 <= code < 600:
        return Outcome(Verdict.PERMANENT, code, text)
    # An answer outside the rules: after DATA it could hide an acceptance.
    return Outcome(Verdict.AMBIGUOUS if during_data else Verdict.TEMPORARY, code, text)


async def _reset(client: aiosmtplib.SMTP) -> None:
    """RSET after a refusal, so the next message starts a clean envelope."""
    if not client.is_connected:
        return
    try:
        await client.rset()
    except (SMTPException, OSError):
        client.close()


async def transmit(
    client: aiosmtplib.SMTP,
    *,
    sender: str,
    recipient: str,
    raw: bytes,
    data_timeout: float = FINAL_REPLY_TIMEOUT,
) -> Outcome:
    """Send one message (one recipient) on an open connection and judge the result.

    Never raises for what a server or a network can do; a caller checks
    ``client.is_connected`` before reusing the connection.
    """
    try:
        await client.mail(sender)
        await client.rcpt(recipient)
    except SMTPResponseException as exc:
        await _reset(client)
        return _answered(exc.code, exc.message, during_data=False)
    except (SMTPException, OSError) as exc:
        client.close()
        return Outcome(Verdict.TEMPORARY, None, f"connection lost before DATA: {exc}")
    except ValueError as exc:  # aiosmtplib refused an address (compose checks them first)
        await _reset(client)
        return Outcome(Verdict.PERMANENT, None, f"address refused by the SMTP client: {exc}")
    try:
        response = await client.data(raw, timeout=data_timeout)
    except SMTPResponseException as exc:
        await _reset(client)
        return _answered(exc.code, exc.message, during_data=True)
    except (SMTPException, OSError) as exc:
        client.close()
        return Outcome(
            Verdict.AMBIGUOUS,
            None,
            f"connection lost during DATA, before the server's answer ({type(exc).__name__}: {exc});"
            " the server may have accepted the message",
        )
    return Outcome(Verdict.DELIVERED, response.code, response.message)
