"""AutoLetter web console: a thin, server-rendered face over the services' HTTP APIs."""

from autoletter.console.bootstrap import create_app, serve
from autoletter.console.settings import ConsoleSettings

__all__ = ["ConsoleSettings", "create_app", "serve"]
