"""Notifications: the in-app inbox, email and company group robots (DingTalk, WeCom, Feishu).

Other apps notify people with one call, inside their own service's transaction::

    from django.utils.translation import gettext_lazy as _
    from jixiao.notifications.models import Category
    from jixiao.notifications.services import notify

    notify(
        recipients=[employee.user],              # Users; inactive ones and duplicates are skipped
        category=Category.REVIEW_REMINDER,       # see models.Category
        title=_("自评将于周五截止"),              # lazy strings are rendered in each reader's language
        body=_("请在 10 月 15 日 18:00 前提交。"),
        link=reverse("reviews:self_review", args=[review.pk]),  # a path on this site
        urgent=False,                            # True ignores quiet hours
        context={"review_id": review.pk},        # JSON, shown to API clients
    )

The inbox rows are written at once; email and robot deliveries are queued when the
transaction commits (``transaction.on_commit``) and retried by Huey with backoff.
"""
