from celery import shared_task

from audit import services as audit


@shared_task
def purge_audit_log() -> int:
    """Daily: drop the audit entries past the retention period; returns how many."""
    return audit.audit_log_purge()
