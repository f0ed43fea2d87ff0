"""The email channel: one notification as a plain-text and HTML mail in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class MailContent:
    to: str
    language: str
    company_name: str
    title: str
    body: str
    link: str


def email_send(content: MailContent, *, timeout: float = 20.0) -> str:
    """Send through Django's configured backend; returns the Message-ID for the log."""
    with translation.override(content.language):
        context = {
            "company_name": content.company_name,
            "title": content.title,
            "body": content.body,
            "link": content.link,
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("notifications/email/subject.txt", context).strip()
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    message_id = make_msgid(domain="jixiao.local")
    message = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[content.to],
        headers={"Content-Language": content.language, "Message-ID": message_id},
    )
    message.attach_alternative(html, "text/html")
    connection = message.get_connection()
    if hasattr(connection, "timeout") and connection.timeout is None:
        connection.timeout = timeout
    message.connection = connection
    message.send(fail_silently=False)
    return message_id
