"""`mockplex routes`: the route table as documentation."""

from __future__ import annotations

import click


@click.command()
@click.option("--markdown", is_flag=True, help="One Markdown table, a row per family (as in the README).")
def routes(markdown):
    """List every route mockplex knows, by family, and how each is answered."""
    from mockplex.routes import ROUTES

    families: dict[str, list] = {}
    for spec in ROUTES:
        families.setdefault(spec.family, []).append(spec)
    if markdown:
        click.echo("| family | routes |\n| --- | --- |")
    for family, specs in families.items():
        lines = [f"{s.method} {s.template}" for s in specs]
        if markdown:
            click.echo(f"| {family} | {'<br>'.join(lines)} |")
            continue
        click.echo(f"{family}:")
        for line in lines:
            click.echo(f"  {line}")
