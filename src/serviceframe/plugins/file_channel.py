"""The built-in ``file`` channel (:mod:`serviceframe.file_channel`): notifications appended to
a local file as JSON lines, messages read from ``*.json`` files dropped in a folder.

Every command loads the built-in plugins: the channel is imported when the channel kinds are
asked for (sending, polling, ``channel list``), not here.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceframe.channels import ChannelKind


@hookimpl
def serviceframe_channel_kinds(app: object) -> Iterator["ChannelKind"]:
    from serviceframe.file_channel import file_channel_kind

    yield file_channel_kind()
