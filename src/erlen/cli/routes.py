"""``erlen routes``: the app's routes as a table, as ``flask routes`` prints them."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import click

from erlen.cli.script_info import with_appcontext


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Column to sort by ('match' keeps the order routes are matched in).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show every route with its endpoint and methods, as ``flask routes`` does."""
    from erlen.ctx import current_app

    url_map = current_app.url_map
    rules = list(url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = bool(getattr(url_map, "host_matching", False))

    def domain(rule: Any) -> str:
        return str((rule.host if host_matching else rule.subdomain) or "")

    with_domain = any(domain(rule) for rule in rules)
    headers = ["Endpoint", "Methods"]
    columns = ["endpoint", "methods"]
    if with_domain:
        headers.append("Host" if host_matching else "Subdomain")
        columns.append("domain")
    headers.append("Rule")
    columns.append("rule")
    rows: list[list[str]] = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted(set(rule.methods or ()) - hidden))]
        if with_domain:
            row.append(domain(rule))
        row.append(rule.rule)
        rows.append(row)
    if sort in columns:
        rows.sort(key=itemgetter(columns.index(sort)))
    table = [headers, *rows]
    widths = [max(len(row[index]) for row in table) for index in range(len(headers))]
    table.insert(1, ["-" * width for width in widths])
    for row in table:
        # Every cell padded, the last one too (trailing spaces), as flask routes prints it.
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
