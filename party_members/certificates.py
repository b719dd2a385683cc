"""The certificate of verified service a party member downloads (志愿服务证明), as a PDF.

reportlab's built-in CID font STSong-Light renders Chinese with no font file to ship or fetch,
which suits an intranet with no internet."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .models import PartyMember, ServiceRecord

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def service_certificate(*, member: PartyMember, records: list[ServiceRecord]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("在职党员服务证明")
    width, height = A4
    total = sum((r.hours for r in records), Decimal(0))
    y = height - 30 * mm
    pdf.setFont(FONT, 22)
    pdf.drawCentredString(width / 2, y, "在职党员社区服务证明")
    y -= 16 * mm
    pdf.setFont(FONT, 12)
    community = member.community.name if member.community else ""
    lines = [
        f"兹证明 {member.name} 同志（工作单位：{member.employer_name or '—'}）已到 {community} 报到，",
        f"经社区核实，累计参加服务 {len(records)} 次，服务时长 {total} 小时（不含路程），",
        f"获得积分 {member.points} 分。明细如下：",
    ]
    for line in lines:
        pdf.drawString(20 * mm, y, line)
        y -= 8 * mm
    y -= 4 * mm
    pdf.setFont(FONT, 10)
    for record in records:
        if y < 30 * mm:
            pdf.showPage()
            pdf.setFont(FONT, 10)
            y = height - 25 * mm
        text = f"{record.served_on:%Y-%m-%d}  {record.hours}小时  {record.get_kind_display()}  {record.description[:40]}"
        pdf.drawString(20 * mm, y, text)
        y -= 6 * mm
    y -= 10 * mm
    pdf.setFont(FONT, 12)
    pdf.drawRightString(width - 20 * mm, y, f"{community}（盖章）")
    pdf.drawRightString(width - 20 * mm, y - 8 * mm, f"{timezone.localdate():%Y年%m月%d日}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
