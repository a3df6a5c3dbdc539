"""The built-in classifier: the keyword taxonomy shipped with the package, plus the edits of
the organisation file. Registered ``trylast`` so that a county's own classifier wins."""

from typing import TYPE_CHECKING, Any

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:  # every command loads this plugin; few classify
    from serviceframe.domain.taxonomy import Classification


@hookimpl(trylast=True)
def serviceframe_classify(app: Any, title: str, body: str) -> "Classification":
    from serviceframe.domain.taxonomy import classify
    from serviceframe.services.configured import taxonomy

    return classify(f"{title}\n{body}", taxonomy(app))
