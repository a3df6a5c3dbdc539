"""serviceframe-hotline: a 12345-style hotline's call records as issues (政企热线工单).

The hotline system exports its call records (工单) as CSV or XLSX into a folder; each
``serviceframe channel poll NAME`` reads the files there, one message per row, and the core
files them through the bulk intake in one transaction: idempotent on the call id (the same
record in tomorrow's export changes nothing), each bad row in the quarantine with its file,
line and reason, never the whole file refused for one row. Handled files move to ``done/``.

Columns (Chinese as the export writes them, or English; any order):

===================  ==============================================  =========
field                headers accepted                                 required
===================  ==============================================  =========
call id              工单编号, 来电编号, 编号, 工单号, call_id         yes
text                 诉求内容, 来电内容, 内容摘要, 摘要, summary       yes
time                 来电时间, 受理时间, 时间, time                    no
caller number        来电号码, 主叫号码, 联系电话, caller              no
enterprise           企业, 企业名称, 统一社会信用代码, enterprise      no
title                标题, 诉求标题, title                             no
category             类别, 诉求分类, category                          no
===================  ==============================================  =========

The enterprise is the one named (a credit code, or the exact registered name), else the one
whose registered contact has the caller's number. A category that is not one of the nine
(1-9 or their Chinese names) is left to the classifier and kept in the text.

```toml
[[channels]]
name = "12345"
kind = "hotline"
source = "hotline"                     # filed as 政企快线
settings = { inbox = "/srv/exchange/12345" }
```
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceframe.channels import ChannelKind

__all__ = ["serviceframe_channel_kinds"]


@hookimpl
def serviceframe_channel_kinds(app: object) -> Iterator["ChannelKind"]:
    # Imported here: every serviceframe command loads the plugins, few use this channel.
    from serviceframe.channels import ChannelKind

    from serviceframe_hotline.channel import HotlineChannel, HotlineSettings

    yield ChannelKind(
        "hotline",
        HotlineChannel,
        HotlineSettings,
        "12345 热线工单导出(CSV/XLSX)批量受理",
        address=("phone",),
        inbound=True,
        outbound=False,
    )
