"""The one TLS client context mailbot uses for IMAP and SMTP."""

from __future__ import annotations

import ssl


def tls_context() -> ssl.SSLContext:
    """Verifying context (system CAs, or $SSL_CERT_FILE); TLS 1.2 at least."""
    context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
