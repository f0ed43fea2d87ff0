"""What the attendance close tells other parts of Jixiao, without knowing who listens.

``attendance_month_locked`` is sent once a month's lock has committed, with
``company``, ``year``, ``month`` and ``actor``: the metrics app publishes the
month's summaries as metric events (``jixiao.metrics.attendance_feed``).
"""

from django.dispatch import Signal

attendance_month_locked = Signal()
