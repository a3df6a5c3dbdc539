"""What the CLI passes to every command: the settings, and the app built on first use."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serviceframe.app import App


class CliContext:
    def __init__(
        self,
        db_url: str | None = None,
        actor: str | None = None,
        disabled: tuple[str, ...] = (),
        app: "App | None" = None,
        acting_as: str = "office",
    ) -> None:
        self.acting_as = acting_as
        self.db_url = db_url
        self.actor = actor
        self.disabled = disabled
        self._app = app
        self._built: App | None = None  # the app built here, which this context closes

    @property
    def app(self) -> "App":
        if self._app is None:
            from serviceframe.app import Settings, bootstrap

            settings = Settings(
                db_url=self.db_url, disabled_plugins=self.disabled, acting_as=self.acting_as
            )
            if self.actor:
                settings.actor = self.actor
            self._app = self._built = bootstrap(settings)
        return self._app

    def close(self) -> None:
        """Close the app built here (its database connections, the plugins' worker) when the
        command ends; an app handed in belongs to whoever made it."""
        if self._built is not None:
            self._built.close()
