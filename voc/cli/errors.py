"""What `voc` prints when a command fails: one `error:` line a person can act on, exit status 2.

Bad input and configuration (VocError), missing or unreadable files, a folder given as a file, a
read-only output folder, a full disk, a refused database login and a temporary Prefect server that
did not start each become one line saying what is wrong and where. The traceback is printed only
with `voc --debug` (or VOC_DEBUG=1); Prefect's own log lines keep their message but lose the
traceback of such errors too. An error nobody anticipated keeps its traceback.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import traceback

INPUT_ERROR_EXIT = 2


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _where(exc: OSError) -> str:
    return f"{exc.filename}: " if getattr(exc, "filename", None) else ""


def describe(exc: BaseException) -> str | None:
    """The one-line message for an error a person can fix, or None for an unexpected one."""
    from pipeline.errors import VocError

    for e in _chain(exc):
        text = str(e)
        if isinstance(e, VocError):
            return text
        if isinstance(e, OSError) and e.errno == errno.ENOSPC or "No space left on device" in text:
            where = _where(e) if isinstance(e, OSError) else ""
            return (f"{where}the disk is full; nothing of this run was committed: free space and run it again "
                    "(a failed run resumes from its finished stages)")
        if isinstance(e, IsADirectoryError):
            return f"{_where(e)}is a folder; a file was expected"
        if isinstance(e, NotADirectoryError):
            return f"{_where(e)}is a file; a folder was expected"
        if isinstance(e, FileNotFoundError):
            return f"{_where(e)}file not found"
        if isinstance(e, PermissionError):
            return f"{_where(e)}permission denied: the file or its folder is read-only for this user"
        if isinstance(e, OSError) and e.errno in (errno.EROFS,):
            return f"{_where(e)}read-only file system: choose another workspace (--workspace DIR)"
        if "Timed out while attempting to connect to ephemeral Prefect API server" in text:
            return ("the temporary Prefect server did not start in time (the machine is busy): start one with "
                    "`prefect server start` and set PREFECT_API_URL, or raise "
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
        if type(e).__name__ == "IOException" and "database does not exist" in text:  # DuckDB, read-only open
            where = text.split('"')[1] + ": " if text.count('"') >= 2 else ""
            return (f"{where}no output database yet: run `voc run` (or `voc demo`) first, or point "
                    "--database / --workspace at an existing one")
        db = _database_error(e, text)
        if db:
            return db
    return None


def _database_error(e: BaseException, text: str) -> str | None:
    name = type(e).__name__
    if name not in {"OperationalError", "InterfaceError"}:
        return None
    first = text.strip().splitlines()[0] if text.strip() else name
    first = first.replace("(psycopg.OperationalError) ", "")
    if "password authentication failed" in text or "no password supplied" in text:
        return (f"the database refused the login ({first}): give the right password in VOC_DATABASE_PASSWORD "
                "(or PGPASSWORD), never in a flow parameter")
    if "Connection refused" in text or "could not connect" in text or "connection failed" in text:
        return f"cannot connect to the database ({first}): is the server running and the host and port right?"
    if "does not exist" in text:
        return f"the database says: {first}"
    return None


class _QuietKnownErrors(logging.Filter):
    """Drops the traceback of log records about errors `describe` explains in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and describe(record.exc_info[1]):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_known_tracebacks() -> None:
    """Strip the traceback from every log record about a known error, whichever handler prints it."""
    previous = logging.getLogRecordFactory()
    quiet = _QuietKnownErrors()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        quiet.filter(record)
        return record

    logging.setLogRecordFactory(factory)


def _cli_exceptions(name: str) -> tuple[type[BaseException], ...]:
    """click's exception class `name`, and the same class of the click that typer bundles (typer >= 0.20
    ships its own copy, whose classes are not click's: an unknown command raised typer's UsageError)."""
    import importlib

    found = []
    for module in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def run_cli(app, console) -> None:
    """Run the typer app; known errors end in one `error:` line and exit status 2."""
    debug = os.environ.get("VOC_DEBUG") == "1" or "--debug" in sys.argv[1:]
    if not debug:
        quiet_known_tracebacks()
    try:
        code = app(standalone_mode=False)
    except _cli_exceptions("Exit") as exc:
        raise SystemExit(getattr(exc, "exit_code", 1)) from None
    except _cli_exceptions("Abort"):
        console.print("[bold red]aborted[/]")
        raise SystemExit(130) from None
    except _cli_exceptions("ClickException") as exc:  # a wrong command, option or value
        from rich.markup import escape

        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        console.print(f"[bold red]error:[/] {escape(exc.format_message())}{escape(hint)}", highlight=False)
        raise SystemExit(INPUT_ERROR_EXIT) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:  # noqa: BLE001 - the command line's last resort
        from rich.markup import escape

        message = describe(exc)
        if debug or message is None:
            traceback.print_exception(exc)
        if message is None:
            console.print(f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))}")
            raise SystemExit(1) from None
        console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        raise SystemExit(INPUT_ERROR_EXIT) from None
    if isinstance(code, int) and code:  # typer.Exit(n) inside a command
        raise SystemExit(code)


def exit_process(code: int | str | None) -> None:
    """End the `voc` process with `code` (as SystemExit would) without the interpreter's teardown.

    Every exit handler still runs (Prefect's last logs and events, logging's flush) and non-daemon
    threads are joined; what is skipped is the clean-up after them, freeing every object of a run one
    by one: 3 to 6 s after a 3,000-row run, as long as some whole runs' flows. Only the command's
    entry point calls this, never code running inside another program. Under a profiler or a
    coverage tracer the interpreter ends normally, so they can write their results.
    """
    import atexit
    import threading

    if sys.gettrace() is not None or sys.getprofile() is not None:
        raise SystemExit(code)
    if isinstance(code, str):  # SystemExit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code or 0)
