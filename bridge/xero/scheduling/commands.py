"""`flask xero sync-payments`, `flask xero run-jobs` and `flask xero reconcile`: the payment
sync, the bulk copy jobs and the reconciliation from the command line (cron, or by hand)."""
import click
from flask.cli import AppGroup

from bridge.xero.settings import setup
from bridge.xero.sync import reconcile
from bridge.xero.sync.payments import request_sync, sync_organisation, syncing_organisations

xero_cli = AppGroup("xero", help="The Xero integration.")


@xero_cli.command("sync-payments")
@click.option("--tenant", "tenant_id", help="Only this organisation (its Xero tenant id).")
@click.option("--earlier", is_flag=True,
              help="Also fetch payments made before sync was turned on, on copied documents.")
def sync_payments_command(tenant_id, earlier):
    """Mirror Xero's payments into Bridge now, and print what changed."""
    tenants = [tenant_id] if tenant_id else [c.tenant_id for c in syncing_organisations()]
    if not tenants:
        click.echo("No Xero organisation has payment sync on.")
        return
    failed = False
    for tenant in tenants:
        if earlier:
            request_sync(tenant, backfill=True)
        result = sync_organisation(tenant, trigger="cli")
        click.echo(f"{result.tenant_name or result.tenant_id}: {result.message}")
        failed = failed or bool(result.error)
    if failed:
        raise SystemExit(1)


@xero_cli.command("run-jobs")
def run_jobs_command():
    """Work through every unfinished bulk Copy to Xero job now, and print where each stands."""
    from bridge.xero.scheduling.scheduler import run_copy_jobs

    ran = run_copy_jobs()
    if not ran:
        click.echo("No copy job is waiting.")
    for job in ran:
        click.echo(f"Copy job {job.job_id}: {job.state}, {job.done} copied, {job.failed} not copied, "
                   f"{job.total - job.finished} to go." + (f" {job.error}" if job.error else ""))


@xero_cli.command("reconcile")
def reconcile_command():
    """Print every copied document whose Bridge and Xero figures differ, with the reason and the
    action; exit 1 when a difference has no known reason (Bridge's database only, no Xero call)."""
    if not setup.connections():
        click.echo("Xero is not connected: there is nothing to reconcile.")
        return
    items = reconcile.differences()
    if not items:
        click.echo("Bridge and Xero agree on every copied document.")
    for item in items:
        click.echo(item.line())
    unexplained = [item for item in items if not item.explained]
    if unexplained:
        click.echo(f"{len(unexplained)} of {len(items)} without a known reason.", err=True)
        raise SystemExit(1)
