"""``serviceframe trends`` and ``cluster``: widespread issues (倾向性、普遍性问题)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, progress_bar, table, warn_failures


@click.command()
@click.option(
    "--window",
    type=click.IntRange(1, 366),
    help="Days to look back (default from the organisation file, 30).",
)
@click.option("--dry-run", is_flag=True, help="Show what would form; store nothing.")
@json_option
@click.pass_obj
def trends(obj: CliContext, window: int | None, dry_run: bool, as_json: bool) -> None:
    """Detect topics raised by many enterprises in several counties; form and grow clusters.

    One detection runs at a time per database: started while another runs, it does nothing,
    says so and exits 0.
    """
    from serviceframe.services.trends import detect, list_clusters

    with progress_bar("检测倾向性问题 detecting", as_json) as bar:
        changes = detect(obj.app, window_days=window, dry_run=dry_run, progress=bar)
    warn_failures(obj.app.plugins.failures)
    clusters = [] if dry_run else list_clusters(obj.app, "open")
    if as_json:
        emit_json({"changes": changes, "open_clusters": clusters})
        return
    for c in changes:
        click.echo(
            f"问题群 cluster {c.cluster} {c.kind}: 主题 {c.topic},{c.enterprises} 家企业、"
            f"{c.counties} 个县(市、区),新增 {len(c.new_members)} 个问题 → {c.rung} {c.official or ''}"
        )
    if not changes:
        click.echo("没有新的倾向性、普遍性问题 (no new widespread issues)")
    if clusters:
        table(
            ("问题群", "主题", "问题数", "企业数", "县(市、区)数", "责任领导"),
            [
                (
                    c["id"],
                    c["topic"],
                    c["issues"],
                    c["enterprises"],
                    c["counties"],
                    c["official"] or "",
                )
                for c in clusters
            ],
        )


_CLUSTER_STATUS = {"open": "未办结", "resolved": "已办结"}


@click.group()
def cluster() -> None:
    """Clusters of widespread issues."""


@cluster.command()
@click.argument("cluster_id", type=int)
@json_option
@click.pass_obj
def show(obj: CliContext, cluster_id: int, as_json: bool) -> None:
    """Show a cluster and its member issues."""
    from serviceframe.services.trends import show_cluster

    view = show_cluster(obj.app, cluster_id)
    if as_json:
        emit_json(view)
        return
    from serviceframe.domain.issue import Status

    c = view.cluster
    click.echo(
        f"问题群 {c['id']} [{_CLUSTER_STATUS.get(c['status'], c['status'])}] 主题 {c['topic']}:{len(view.members)} 个问题,"
        f"{view.enterprises} 家企业,{view.counties} 个县(市、区)"
    )
    click.echo(f"  {c['reason']}")
    if c["resolution"]:
        click.echo(f"  处理结果:{c['resolution']}")
    if view.agenda_item:
        click.echo(f"  常务会议议题 {view.agenda_item['id']} ({view.agenda_item['status']})")
    table(
        ("问题", "企业", "状态", "标题"),
        [
            (m["id"], m["enterprise"], Status(m["status"]).label, m["title"][:30])
            for m in view.members
        ],
    )


@cluster.command()
@click.argument("cluster_id", type=int)
@click.option("--note", required=True, help="The resolution, applied to every open member.")
@json_option
@click.pass_obj
def resolve(obj: CliContext, cluster_id: int, note: str, as_json: bool) -> None:
    """Resolve a cluster: all its open member issues are settled with the same note."""
    from serviceframe.services.trends import resolve_cluster

    found, settled = resolve_cluster(obj.app, cluster_id, note)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json({"cluster": found, "settled": settled})
    else:
        click.echo(f"问题群 {cluster_id} 已办结:{len(settled)} 个问题一并办结,待企业评价")


@cluster.command()
@click.argument("cluster_id", type=int)
@json_option
@click.pass_obj
def queue(obj: CliContext, cluster_id: int, as_json: bool) -> None:
    """Put a cluster that needs a collective decision on the next executive meeting's agenda."""
    from serviceframe.services.trends import queue_cluster

    item = queue_cluster(obj.app, cluster_id)
    if as_json:
        emit_json(item)
    else:
        click.echo(f"已列入常务会议议题 {item['id']}:{item['title']}")
