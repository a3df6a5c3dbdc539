"""Real servers for the e-mail tests. serviceframe's own fixtures (sf_make_db, sf_clock…) come
from its pytest plugin, turned on by ``serviceframe = true`` in pyproject.toml."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import Dovecot, SmtpServer, make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    """A plain SMTP server process, as a county's internal relay."""
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """Debian's dovecot, started for the test session on a free port."""
    if shutil.which("dovecot") is None:
        if os.environ.get("CI"):
            pytest.fail(
                "dovecot is missing in CI: .ci/run installs it (apt-get install dovecot-imapd)"
            )
        pytest.skip("dovecot is not installed here: apt-get install -y dovecot-imapd")
    # Not under pytest's private temporary folder: dovecot's own users must reach the mailboxes.
    folder = Path(tempfile.mkdtemp(prefix="serviceframe-dovecot-"))
    folder.chmod(0o755)
    server = Dovecot(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
