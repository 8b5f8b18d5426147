"""Queued mail: the outbox row always, SMTP delivery after commit only when a host is set.

A real SMTP server (aiosmtpd) listens on a free loopback port for each test.
"""

import logging
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from lms.core.models import OutboxMail
from lms.core.services import queue_mail
from lms.core.tasks import deliver_mail


class Inbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_configured(app, monkeypatch, smtp_server):
    controller, inbox = smtp_server
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", controller.hostname)
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", controller.port)
    return inbox


def subject_of(message) -> str:
    return str(message["Subject"])


def test_without_smtp_host_mail_stays_in_the_outbox_and_the_log(db, smtp_server, caplog):
    _, inbox = smtp_server
    with caplog.at_level(logging.INFO, logger="hoclieu.mail"):
        mail = queue_mail("gv@truong.edu.vn", "Đặt lại mật khẩu", "Mã: 123456")
        db.session.commit()
    assert "mail queued to gv@truong.edu.vn: Đặt lại mật khẩu" in caplog.text
    db.session.expire_all()
    assert db.session.get(OutboxMail, mail.id).sent_at is None
    assert inbox.messages == []


def test_with_smtp_the_message_is_delivered_once_after_commit(db, smtp_configured):
    inbox = smtp_configured
    mail = queue_mail("hs@truong.edu.vn", "Bài kiểm tra mới", "Hạn nộp 05/12/2026.")
    assert inbox.messages == []
    db.session.commit()
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["hs@truong.edu.vn"]
    assert subject_of(message) == "Bài kiểm tra mới"
    assert message.get_content().strip() == "Hạn nộp 05/12/2026."
    db.session.expire_all()
    sent_at = db.session.get(OutboxMail, mail.id).sent_at
    assert sent_at is not None
    deliver_mail.delay(mail.id)
    assert len(inbox.messages) == 1
    db.session.expire_all()
    assert db.session.get(OutboxMail, mail.id).sent_at == sent_at


def test_rollback_drops_the_queued_send(db, smtp_configured):
    inbox = smtp_configured
    queue_mail("hs@truong.edu.vn", "Không gửi", "Giao dịch bị hủy.")
    db.session.rollback()
    queue_mail("hs@truong.edu.vn", "Gửi", "Giao dịch sau.")
    db.session.commit()
    assert [subject_of(message) for _, message in inbox.messages] == ["Gửi"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 1
