"""The demo's whistles (街乡吹哨、部门报到), two-way evaluations, residents' satisfaction and a
bulletin, played out through the services and then dated back to when the documents say they
happened. A second run adds nothing (everything is looked up by its title first).

Sources (seeds/003): 平谷区大兴庄镇 blew the "民生哨" three times over the 东石桥河 (5 villages,
over 5,000 m in 20 sections): the first brought the district water authority to dredge it (over
150,000 m³ of silt), the second the environment bureau, the agriculture committee and the
municipal departments to clear its banks, the third the agriculture bureau and the economy and
information committee to survey the outfalls, and all 72 sewage outfalls were sealed. 石景山区
金顶街街道 blew the whistle 32 times in a year, summoning 23 district offices and 5 enterprises,
to clean up 模式口村 (sewage, rubbish, traffic jams, hazards); a "集结哨" of two districts pulled
down a six-year-old illegal building on 模式口南小街.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from committees.models import Committee, Tenant
from demo.accounts import DemoAccount, demo_password_hash
from demo.names import credit_code, stable_number
from members.models import MemberUnit, Role, RoleGrant, UnitKind, User
from projects import bulletins, evaluations, satisfaction, whistles
from projects.models import (
    Bulletin,
    DepartmentRating,
    Evaluation,
    EvaluationDirection,
    Project,
    ProjectStatus,
    SatisfactionResponse,
    Summons,
    SummonsReport,
    Whistle,
    WhistleEntry,
    WhistleKind,
    WhistleStatus,
)

PINGGU = "110117000000"
DAXINGZHUANG = "110117111000"
SHIJINGSHAN = "110107000000"
JINDING = "110107006000"

WHISTLE_ACCOUNTS = [
    DemoAccount("daxingzhuang_staff", "大兴庄镇工作人员", Role.STAFF, DAXINGZHUANG),
    DemoAccount("pinggu_staff", "平谷区委社会工委工作人员", Role.STAFF, PINGGU),
    DemoAccount("jinding_staff", "金顶街街道工作人员", Role.STAFF, JINDING),
    DemoAccount("shijingshan_staff", "石景山区委社会工委工作人员", Role.STAFF, SHIJINGSHAN),
]

PINGGU_DEPARTMENTS = {
    "water": "平谷区水务局",
    "environment": "平谷区生态环境局",
    "agriculture_committee": "平谷区农业农村委员会",
    "municipal": "平谷区城市管理委员会",
    "agriculture": "平谷区农业局",
    "economy": "平谷区经济和信息化局",
}
SHIJINGSHAN_OFFICES = [
    "石景山区城市管理委员会",
    "石景山区城管执法局",
    "石景山区住房和城乡建设委员会",
    "石景山区生态环境局",
    "石景山区水务局",
    "石景山区交通委员会",
    "石景山区市场监督管理局",
    "石景山区卫生健康委员会",
    "石景山区民政局",
    "北京市规划和自然资源委员会石景山分局",
    "北京市公安局石景山分局",
    "石景山区消防救援支队",
    "石景山区园林绿化局",
    "石景山区文化和旅游局",
    "石景山区发展和改革委员会",
    "石景山区财政局",
    "石景山区人力资源和社会保障局",
    "石景山区教育委员会",
    "石景山区应急管理局",
    "石景山区商务局",
    "石景山区司法局",
    "石景山区残疾人联合会",
    "石景山交通支队",
]
SHIJINGSHAN_ENTERPRISES = [
    "国网北京石景山供电公司",
    "北京市自来水集团石景山分公司",
    "北京市燃气集团第二分公司",
    "北京排水集团石景山运营中心",
    "北京京西热力有限公司",
]

RIVER = "东石桥河"
DONGSHIQIAO = [
    {
        "title": "东石桥河“头一哨”：河道淤积恶臭，请区水务局清淤",
        "request": "东石桥河流经5个村，全长5000余米，两岸原有上百家养殖场，“未见其水，先闻其臭”。"
        "请区水务局分20段、一段一策清淤。",
        "summons": [("water", 24, "on_time")],
        "acted": {"water": "分20段清淤完成，挖出污泥超过15万立方米。"},
        "entries": [
            ("consult", "镇政府与区水务局会商：河道分成20段，一段一策。"),
            ("close_out", "第1至第6段清淤完成。"),
            ("feedback", "向东石桥村村民通报清淤进度。"),
        ],
        "close": "东石桥河全线清淤完成。",
        "days_ago": 240,
    },
    {
        "title": "东石桥河“第二哨”：河道周边浮萍、垃圾、违建清理",
        "request": "请区环保局、区农委与市政部门共同开展河道周边清理工程。",
        "summons": [
            ("environment", 24, "on_time"),
            ("agriculture_committee", 24, "on_time"),
            ("municipal", 48, "on_time"),
        ],
        "acted": {
            "environment": "河面浮萍清理完毕，建立各级河长每日巡河制度。",
            "agriculture_committee": "沿河养殖场逐户清退。",
            "municipal": "河岸垃圾和河旁违建清理一空。",
        },
        "entries": [
            ("consult", "各级河长会商，明确每日巡河。"),
            ("close_out", "河岸垃圾清运32车。"),
            ("feedback", "在村务公开栏公示清理结果。"),
        ],
        "close": "河面、河岸、河旁违建清理完毕。",
        "days_ago": 200,
    },
    {
        "title": "东石桥河“第三哨”：摸查排污口，治理污染源头",
        "request": "请区农业局和区经信委大范围摸查排污口，治理河道污染源头。",
        "summons": [("agriculture", 24, "on_time"), ("economy", 24, "late")],
        "acted": {"agriculture": "摸查全部72个排污口，逐一登记，封堵完成。"},
        "entries": [
            ("consult", "河长每天进村，巡查企业和生活污水排放情况。"),
            ("close_out", "今日封堵排污口12个，累计72个全部封堵。"),
            ("feedback", "向沿河5个村通报排污口封堵情况。"),
        ],
        "close": "",  # still open: 经信委 missed its deadline and was escalated to the district
        "days_ago": 3,
    },
]

JINDING_PROBLEMS = [
    (WhistleKind.LIVELIHOOD, "模式口村污水横流", "模式口村东街", "疏通排水管线，接入市政管网"),
    (WhistleKind.LIVELIHOOD, "模式口大街垃圾成山", "模式口大街", "清运积存垃圾，设置分类投放点"),
    (
        WhistleKind.LIVELIHOOD,
        "模式口路口早晚高峰拥堵",
        "模式口大街与金顶街路口",
        "优化信号配时，规范停车",
    ),
    (WhistleKind.PRIORITY, "模式口老街消防隐患", "模式口历史文化街区", "排查消防隐患，清理通道"),
    (WhistleKind.LIVELIHOOD, "金顶街二区燃气管线老化", "金顶街二区", "更换老化管线，入户检查"),
    (WhistleKind.LIVELIHOOD, "金顶街四区冬季供暖不热", "金顶街四区", "排查供热管网，调节水力平衡"),
    (WhistleKind.TOUGH, "模式口村私搭乱建", "模式口村西", "依法拆除违法建设"),
    (WhistleKind.LIVELIHOOD, "西山永定河文化带步道破损", "模式口驼铃古道", "修复步道，补种绿化"),
    (WhistleKind.LIVELIHOOD, "金顶街三区路灯不亮", "金顶街三区", "修复路灯线路"),
    (WhistleKind.VANGUARD, "法海寺周边环境整治", "法海寺景区", "清理周边环境，规范游客停车"),
]
JINDING_MUSTER = (
    WhistleKind.MUSTER,
    "模式口南小街跨区违法建筑",
    "模式口南小街",
    "建成6年、跨石景山和门头沟两区地界的违法建筑，两区相关部门联合依法拆除",
)
JINDING_COUNT = 32


def seed_whistles(beijing: Tenant) -> dict[str, int]:
    """Both cases, the two-way evaluations of the completed projects, residents' ratings and a
    bulletin. Each case in its own transaction."""
    committees = {
        c.division_code: c
        for c in Committee.objects.filter(
            tenant=beijing, division_code__in=[PINGGU, DAXINGZHUANG, SHIJINGSHAN, JINDING]
        )
    }
    logins: list = []
    if len(committees) == 4:
        logins = _accounts(beijing, committees)
        with transaction.atomic():
            _dongshiqiao(beijing, committees)
        with transaction.atomic():
            _jinding(beijing, committees)
        water = MemberUnit.objects.filter(tenant=beijing, name=PINGGU_DEPARTMENTS["water"]).first()
        if water is not None:
            logins.append((OFFICER_DEMO, water))
    with transaction.atomic():
        _evaluations(beijing)
    return {
        "whistles": Whistle.objects.filter(tenant=beijing).count(),
        "summons": Summons.objects.filter(tenant=beijing).count(),
        "escalated": Summons.objects.filter(tenant=beijing, escalated_at__isnull=False).count(),
        "evaluations": Evaluation.objects.filter(tenant=beijing).count(),
        "responses": SatisfactionResponse.objects.filter(tenant=beijing).count(),
        "logins": logins,
    }


def _user(tenant, username, display_name) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.user_create(
            tenant=tenant,
            username=username,
            password_hash=demo_password_hash(),
            display_name=display_name,
        )
    return user


def _accounts(tenant, committees) -> list:
    created = []
    for account in WHISTLE_ACCOUNTS:
        user = _user(tenant, account.username, account.display_name)
        account_services.role_grant(
            user=user, role=account.role, committee=committees[account.committee_code]
        )
        created.append((account, committees[account.committee_code]))
    return created


OFFICER_DEMO = DemoAccount("pinggu_water", "平谷区水务局报到员", Role.DEPARTMENT_OFFICER, PINGGU)


def _department(tenant, committee, name, kind=UnitKind.DEPARTMENT) -> MemberUnit:
    category = "11" if kind == UnitKind.DEPARTMENT else "91"  # an agency; a company
    unit, _created = MemberUnit.objects.get_or_create(
        tenant=tenant,
        committee=committee,
        name=name,
        defaults={
            "kind": kind,
            "credit_code": credit_code(
                category, committee.division_code[:6], stable_number("unit", name)
            ),
            "contact_name": "值班室",
            "contact_phone": f"010{stable_number('phone', name) % 10**8:08d}",
            "address": committee.name,
        },
    )
    return unit


def _officer(unit: MemberUnit, username: str) -> User:
    grant = RoleGrant.objects.filter(role=Role.DEPARTMENT_OFFICER, member_unit=unit).first()
    if grant is not None:
        return grant.user
    user = _user(unit.tenant, username, f"{unit.name}报到员")
    RoleGrant.objects.create(
        tenant=unit.tenant, user=user, role=Role.DEPARTMENT_OFFICER, member_unit=unit
    )
    return user


def _play(
    *, staff, committee, kind, title, place, request, summons, acted, entries, close, rng=None
) -> Whistle:
    """Blow, answer, keep the rhythm, close and rate: what really happens, through the services.
    `summons` is [(unit, officer, hours, "on_time"|"late"|"none")]."""
    whistle = whistles.whistle_blow(
        actor=staff,
        committee=committee,
        data=whistles.WhistleData(
            kind=kind,
            title=title,
            place=place,
            request=request,
            summons=[whistles.SummonsData(unit, hours) for unit, _o, hours, _t in summons],
        ),
    )
    rows = {s.department_id: s for s in whistle.summons.all()}
    for unit, officer, _hours, timing in summons:
        row = rows[unit.pk]
        if timing == "late":
            whistles.summons_scan(now=row.due_at + dt.timedelta(minutes=1))
            continue
        if timing == "none":
            continue
        whistles.summons_advance(actor=officer, summons=row, to="acknowledged")
        whistles.summons_advance(actor=officer, summons=row, to="arrived", note="已到达现场")
        whistles.summons_advance(
            actor=officer, summons=row, to="acted", note=acted.get(unit.pk, "已按要求处置完毕。")
        )
    for entry_kind, text in entries:
        whistles.whistle_entry_add(actor=staff, whistle=whistle, kind=entry_kind, text=text)
    if close:
        rng = rng or random.Random(7)
        ratings = {}
        for unit, *_rest, timing in summons:
            punctual = 5 if timing == "on_time" else 2
            ratings[rows[unit.pk].pk] = whistles.RatingData(
                punctual, rng.choice([4, 5, 5]), rng.choice([4, 4, 5]), ""
            )
        whistles.whistle_close(actor=staff, whistle=whistle, summary=close, ratings=ratings)
    whistle.refresh_from_db()
    return whistle


def _backdate(whistle: Whistle, when: dt.datetime) -> None:
    """Move a played whistle to when it happened: every stamp keeps its distance from the
    blowing."""
    shift = when - whistle.blown_at
    Whistle.objects.filter(pk=whistle.pk).update(
        blown_at=when, closed_at=whistle.closed_at + shift if whistle.closed_at else None
    )
    for row in Summons.objects.filter(whistle=whistle):
        for name in ("due_at", "acknowledged_at", "arrived_at", "acted_at", "escalated_at"):
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, value + shift)
        row.save()
    for report in SummonsReport.objects.filter(summons__whistle=whistle):
        report.at += shift
        report.save(update_fields=["at"])
    for entry in WhistleEntry.objects.filter(whistle=whistle):
        entry.day = (timezone.localtime(when) + dt.timedelta(days=1)).date()
        entry.save(update_fields=["day"])
    DepartmentRating.objects.filter(whistle=whistle).update(
        rated_at=(whistle.closed_at + shift) if whistle.closed_at else when
    )


def _dongshiqiao(tenant, committees) -> None:
    if Whistle.objects.filter(tenant=tenant, title__startswith=RIVER).exists():
        return
    staff = User.objects.get(username="daxingzhuang_staff")
    units = {
        key: _department(tenant, committees[PINGGU], name)
        for key, name in PINGGU_DEPARTMENTS.items()
    }
    officers = {key: _officer(unit, f"pinggu_{key}") for key, unit in units.items()}
    now = timezone.now()
    for spec in DONGSHIQIAO:
        whistle = _play(
            staff=staff,
            committee=committees[DAXINGZHUANG],
            kind=WhistleKind.LIVELIHOOD,
            title=spec["title"],
            place="平谷区大兴庄镇东石桥河（流经5个村）",
            request=spec["request"],
            summons=[(units[k], officers[k], h, t) for k, h, t in spec["summons"]],
            acted={units[k].pk: text for k, text in spec["acted"].items()},
            entries=spec["entries"],
            close=spec["close"],
        )
        _backdate(whistle, now - dt.timedelta(days=spec["days_ago"]))
        whistle.refresh_from_db()
        if spec["close"]:
            _residents_rate(staff, whistle=whistle, scores=[5, 5, 4, 5, 4, 5, 3, 5])


def _jinding(tenant, committees) -> None:
    if Whistle.objects.filter(tenant=tenant, committee=committees[JINDING]).exists():
        return
    staff = User.objects.get(username="jinding_staff")
    district = committees[SHIJINGSHAN]
    offices = [_department(tenant, district, name) for name in SHIJINGSHAN_OFFICES]
    enterprises = [
        _department(tenant, district, name, UnitKind.STATE_OWNED)
        for name in SHIJINGSHAN_ENTERPRISES
    ]
    units = offices + enterprises
    officers = {u.pk: _officer(u, f"sjs_dept_{i:02d}") for i, u in enumerate(units)}
    rng = random.Random(32)
    now = timezone.now()
    specs = [JINDING_PROBLEMS[i % len(JINDING_PROBLEMS)] for i in range(JINDING_COUNT - 1)]
    specs.insert(5, JINDING_MUSTER)
    for n, (kind, problem, place, request) in enumerate(specs):
        # Every one of the 28 is summoned at least once over the year: a rotating pair, plus
        # one or two more by lot.
        chosen = [units[(2 * n) % len(units)], units[(2 * n + 1) % len(units)]]
        chosen += [u for u in rng.sample(units, rng.choice([0, 1, 2])) if u not in chosen]
        timings = ["late" if rng.random() < 0.12 else "on_time" for _ in chosen]
        is_open = n >= JINDING_COUNT - 2
        whistle = _play(
            staff=staff,
            committee=committees[JINDING],
            kind=kind,
            title=f"{problem}（第{n + 1}哨）",
            place=f"石景山区金顶街街道{place}",
            request=request,
            summons=[
                (u, officers[u.pk], rng.choice([4, 12, 24, 48]), t)
                for u, t in zip(chosen, timings, strict=True)
            ],
            acted={},
            entries=[("consult", f"街道与各部门会商：{request}。")],
            close="" if is_open else f"{problem}已解决，群众满意。",
            rng=rng,
        )
        _backdate(whistle, now - dt.timedelta(days=360 - n * 11))
        whistle.refresh_from_db()
        if not is_open and n % 3 == 0:
            _residents_rate(
                staff, whistle=whistle, scores=[rng.choice([3, 4, 5, 5]) for _ in range(6)]
            )


def _residents_rate(staff, *, whistle=None, project=None, scores) -> None:
    """A link as the street would print it, and the residents' ratings through it."""
    link = satisfaction.link_create(
        actor=staff, whistle=whistle, project=project, mode="per_device", days=30
    )
    for i, score in enumerate(scores):
        satisfaction.response_submit(link=link, device=f"demo-device-{link.pk}-{i}", score=score)


def _evaluations(tenant) -> None:
    """Two-way evaluation of the completed projects, and residents' satisfaction."""
    projects = Project.objects.filter(tenant=tenant, status=ProjectStatus.COMPLETED).select_related(
        "committee"
    )
    admin = User.objects.filter(username="bj_admin").first()
    if admin is None:
        return
    for project in projects:
        providers = evaluations.providers_of(project)
        if not providers:
            continue
        evaluations.providers_rate(
            actor=admin,
            project=project,
            scores={pk: evaluations.Score(5, "按期完成，群众认可") for pk in providers},
        )
        for unit_id in providers:
            grant = RoleGrant.objects.filter(role=Role.UNIT_CONTACT, member_unit_id=unit_id).first()
            already = Evaluation.objects.filter(
                project=project,
                direction=EvaluationDirection.PROVIDER_TO_COMMITTEE,
                rater_unit_id=unit_id,
            ).exists()
            if grant is not None and not already:
                evaluations.committee_rate(
                    actor=grant.user,
                    project=project,
                    unit_id=unit_id,
                    score=evaluations.Score(5, "协调有力"),
                )
        _residents_rate(admin, project=project, scores=[5, 5, 4, 5, 5, 4, 3, 5, 5, 4])
    # A bulletin of the year's whistles from 石景山区 to its subtree.
    district = Committee.objects.filter(tenant=tenant, division_code=SHIJINGSHAN).first()
    staff = User.objects.filter(username="shijingshan_staff").first()
    title = "关于金顶街街道“吹哨报到”工作情况的通报"
    if district and staff and not Bulletin.objects.filter(tenant=tenant, title=title).exists():
        closed = Whistle.objects.filter(
            committee__division_code=JINDING, status=WhistleStatus.CLOSED
        ).count()
        bulletins.publish_bulletin(
            actor=staff,
            committee=district,
            title=title,
            body=f"一年来，金顶街街道共计“吹哨”{JINDING_COUNT}次，积极协调23个委办局处、5个企事业"
            f"单位集中会诊、攻坚克难，已办结{closed}件。模式口百年老街再现当年“驼铃古道”风采。",
            period="近一年",
        )
