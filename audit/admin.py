from auditlog.models import LogEntry
from django.contrib import admin

# The audit log is read by each tenant's audit administrator on /audit/, and by no one else: not
# even a platform superuser reads it in the admin site. (auditlog is installed before audit, so
# its admin module has registered LogEntry by now.)
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)
