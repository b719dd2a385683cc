"""The Celery app, with the reliability settings of DESIGN.md.

Tasks acknowledge late and are rejected back to the queue when their worker dies, with a prefetch
of one, so a killed worker's task runs again; every task is idempotent by a database constraint, so
running again never duplicates an effect. Deadlines are rows scanned by beat, not countdowns.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coordination")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # A task that outlives the visibility timeout is handed to another worker: keep it well above
    # the longest task (a full matching pass).
    broker_transport_options={"visibility_timeout": 3600},
    beat_schedule={
        "notifications-sweep": {
            "task": "notifications.tasks.sweep_deliveries",
            "schedule": crontab(),  # every minute
            "options": {"expires": 50},  # after an outage, one sweep rather than a pile
        },
        "notifications-robot-batches": {
            "task": "notifications.tasks.send_robot_batches",
            "schedule": crontab(),
            "options": {"expires": 50},
        },
        "notifications-daily-digest": {
            "task": "notifications.tasks.send_daily_digests",
            "schedule": crontab(hour=18, minute=0),  # CELERY_TIMEZONE is Asia/Shanghai
        },
        "demands-escalations": {
            "task": "demands.tasks.run_escalations",
            "schedule": crontab(),
            "options": {"expires": 50},
        },
        "projects-supervision": {
            "task": "projects.tasks.run_supervision",
            "schedule": crontab(),  # due dates of projects, milestones and tasks (SKIP LOCKED)
            "options": {"expires": 50},
        },
        "projects-summons": {
            "task": "projects.tasks.run_summons_scan",
            "schedule": crontab(),  # report deadlines of the whistles' summons (SKIP LOCKED)
            "options": {"expires": 50},
        },
        "demands-full-matching-pass": {
            "task": "demands.tasks.full_matching_pass",
            "schedule": crontab(hour=3, minute=7),
        },
        "check-committee-trees": {
            "task": "committees.tasks.check_all_trees",
            "schedule": crontab(minute=17),
        },
        "purge-audit-log": {
            "task": "audit.tasks.purge_audit_log",
            "schedule": crontab(hour=3, minute=41),
        },
        "dashboard-rollups": {
            "task": "dashboard.tasks.refresh_rollups",
            "schedule": crontab(minute="*/5"),  # the dashboard shows the age of what it reads
            "options": {"expires": 240},
        },
    },
)
app.autodiscover_tasks()
