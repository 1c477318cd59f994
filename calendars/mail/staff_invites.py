"""The mail that invites a person to a company's team (booking_mail kind 'staff_invite').

One mail per send of an invitation (`sequence` = the send number, a partial unique index), recorded from the
outbox row the invitation wrote. The link's token is made when the mail is composed and lives only in the mail
(rental.staff_invitations.mint_token); a mail of an earlier send, or of an invitation accepted or withdrawn
since, is skipped.
"""

from __future__ import annotations

from email.message import EmailMessage

from calendars.ical_tables import BookingMail
from calendars.mail.records import MailRecord, Skip
from calendars.mail.texts import render_pair, sender, when
from rental import staff_invitations
from rental.outbox import OutboxEvent
from rental.tables import StaffInvitation, StaffUser
from rental.tenants import tenant_by_id
from rentcal.settings import get_settings

ROLE_NAMES = {"admin": "an admin", "manager": "a manager", "driver": "a driver", "technician": "a technician"}


async def handle_invite_event(event: OutboxEvent) -> list[int]:
    """Record the mail of this send (once); ids of mails recorded now."""
    if event.topic != staff_invitations.TOPIC:
        return []
    rows = await BookingMail.raw(
        """
        INSERT INTO booking_mail (company, booking, invitation, kind, method, sequence, reminder, offset_minutes,
                                  recipient, recipient_role, status, error, attempts, note, created_at, updated_at)
        SELECT i.company, NULL, i.id, 'staff_invite', '', {}, '', 0, i.email, 'staff', 'queued', '', 0, '', now(),
               now()
        FROM staff_invitation i WHERE i.id = {} AND i.accepted_at IS NULL
        ON CONFLICT (invitation, sequence) WHERE kind = 'staff_invite' DO NOTHING
        RETURNING id
        """,
        int(event.payload.get("send", 1)),
        event.aggregate_id,
    )
    return [int(r["id"]) for r in rows]


async def compose_staff_invite(mail: MailRecord) -> EmailMessage | Skip:
    row = await StaffInvitation.select(
        StaffInvitation.company, StaffInvitation.role, StaffInvitation.invited_by
    ).where(StaffInvitation.id == mail.invitation_id).first()  # fmt: skip
    if row is None:
        return Skip("the invitation was withdrawn")
    minted = await staff_invitations.mint_token(int(mail.invitation_id or 0), mail.sequence)
    if minted is None:
        return Skip("the invitation was accepted or sent again since")
    token, expires = minted
    tenant = await tenant_by_id(row["company"])
    inviter = await StaffUser.select(StaffUser.name).where(StaffUser.id == row["invited_by"]).first()
    subject = f"Join {tenant.name} on Rentcal"
    text, html = render_pair(
        "staff_invite",
        inviter=inviter["name"] if inviter else tenant.name,
        role=ROLE_NAMES.get(row["role"], row["role"]),
        link=f"{get_settings().base_url}/join/{token}",
        expires=when(expires, tenant.tz),
        tenant=tenant,
        subject=subject,
    )
    message = EmailMessage()
    message["From"] = sender(tenant.name)
    message["To"] = mail.recipient
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
