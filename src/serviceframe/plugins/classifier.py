"""The built-in classifier: the keyword taxonomy shipped with the package, plus the edits of
the organisation file. Registered ``trylast`` so that a county's own classifier wins."""

from typing import Any

from serviceframe.domain.taxonomy import Classification, classify
from serviceframe.hookspecs import hookimpl


@hookimpl(trylast=True)
def serviceframe_classify(app: Any, title: str, body: str) -> Classification:
    from serviceframe.services.configured import taxonomy

    return classify(f"{title}\n{body}", taxonomy(app))
