"""Transient: the command line module, moved whole before it is cut by job."""

from __future__ import annotations

from erlen.cli.run import *  # noqa: F403
from erlen.cli.run import (
    INTERFACES as INTERFACES,
    RUN_FROM_CLI_ENVIRONMENT as RUN_FROM_CLI_ENVIRONMENT,
    RunOptions as RunOptions,
    _factory_from_environment as _factory_from_environment,
    default_wsgi_threads as default_wsgi_threads,
    run_app as run_app,
    settle_run_options as settle_run_options,
    start_server as start_server,
    user_traceback as user_traceback,
)
