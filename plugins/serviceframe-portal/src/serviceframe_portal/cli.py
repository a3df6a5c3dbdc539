"""``serviceframe serve``: the portal on uvicorn (for production, any ASGI server: see
docs/portal.md)."""

import click
from serviceframe.cli.context import CliContext


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def serve(obj: CliContext, host: str, port: int) -> None:
    """Run the enterprise portal (企业服务门户) until stopped (Ctrl-C, SIGTERM).

    Needs SERVICEFRAME_SECRET (signs sessions and links); SERVICEFRAME_PORTAL_URL is the
    address people reach it at, used in the links notifications carry.
    """
    import uvicorn

    from serviceframe_portal.web import create_app

    uvicorn.run(create_app(obj.app), host=host, port=port, log_level="info", proxy_headers=True)
