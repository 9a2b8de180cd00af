"""The pipeline context built from a real config: letters print to PDF for posting."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from mailbot import service
from mailbot.config import load_config

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration  # builds the real OCR engine (tesseract) and WeasyPrint


def test_approved_letter_is_written_as_pdf_to_the_print_folder(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        textwrap.dedent(
            f"""
            [paths]
            policies = "{ROOT / "policies"}"
            phrasebank = "{ROOT / "phrasebank"}"
            [[mailboxes]]
            name = "support"
            address = "support@example.com"
            display_name = "Demo Shop"
            [[letters]]
            name = "post"
            path = "scans"
            mailbox = "support"
            print_dir = "out"
            """
        )
    )
    ctx = service.build_context(load_config(config_file))
    assert ctx.print_letter is not None and "letters:post" in ctx.letter_readers
    draft = {
        "id": 7,
        "thread_id": 3,
        "language": "nl",
        "intent": "delivery",
        "template": "nl/delivery.txt.j2",
        "subject": "Betreft: uw brief",
    }
    detail = {
        "received_at": "2026-11-23T09:00:00.000000Z",
        "mailbox": "support",
        "subject": "Schade",
        "sender_name": "Jan de Vries",
        "postal_address": ["Dorpsstraat 1", "3512 AB Utrecht"],
        "new_text": "Mijn lamp is kapot.",
        "source": "letters:post",
    }
    path = ctx.print_letter(draft, detail, "Geachte heer De Vries,\n\nWij hebben uw brief ontvangen.")
    assert path == tmp_path / "out" / "thread-3-draft-7.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert not list((tmp_path / "out").glob(".*.tmp"))
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Wij hebben uw brief ontvangen" in text and "Dorpsstraat 1" in text
