"""`voc`: the command line of the Voice-of-Customer pipeline.

Each module registers its commands on the one `app` of `voc.cli.app`; importing this package registers
them all.
"""

from __future__ import annotations

from voc.cli import commands, taxonomy  # noqa: F401  (their commands register on `app` when imported)
from voc.cli.alerts import register as _register_alerts
from voc.cli.app import app, console
from voc.cli.embedder import register as _register_embedder
from voc.cli.server import register as _register_server
from voc.cli.topics import register as _register_topics

_register_topics(app)
_register_alerts(app)
_register_server(app)  # `voc deployments`, `voc runs`
_register_embedder(app)

__all__ = ["app", "main"]


def main() -> None:
    """The `voc` command: bad input or configuration ends in one `error:` line and exit status 2.

    The traceback is printed only with `voc --debug` (or VOC_DEBUG=1).
    """
    from voc.cli.errors import exit_process, run_cli
    from voc.cli.heap import own_process

    own_process()
    try:
        run_cli(app, console)
    except SystemExit as exc:
        exit_process(exc.code)
    exit_process(0)
