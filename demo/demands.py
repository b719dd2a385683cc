"""The demo's demand list and resource list: the real cases of the source documents, entered
through the services (validation, transitions, notifications, matching after commit), so the
demo shows matches with their reasons, accepted claims, an escalated demand and the inboxes they
fill. Every record is looked up by its title first: a second run adds nothing.

Sources: 五棵松's traffic clean-up at 万寿路街道 (the hospital's 3万 outpatients a day and its
parking; the street found 70-odd places for it); the bus plant's 1,500 m² three-storey building
at 核桃园 for the elderly's meals; 国科大's soil improver for 20亩 of 河防口村's pear trees;
couriers and riders as mobile grid members at 丰台; the demo street 东华门 and its 多福巷社区.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from categories.defaults import categories_ensure_defaults
from committees.models import Committee, Tenant
from demands import services
from demands.matching import match_demand
from demands.models import Claim, Demand, DemandKind, DemandStatus, Source, Urgency
from demo.accounts import UNIT_CONTACT_DEMO, demo_password_hash
from demo.cases import BEIJING_UNITS
from members.models import MemberUnit, Role, RoleGrant, User
from resources import services as resource_services
from resources.models import CapacityUnit, Resource, ResourceKind

WANSHOULU = "110108001000"
FUXINGLU28 = "110108001021"
GUANGANMENNEI = "110102017000"
HETAOYUAN = "110102017006"
HUAIROU = "110116000000"
HUAIBEI = "110116106000"
HEFANGKOU = "110116106208"
XINCUN = "110106010000"
DONGHUAMEN = "110101001000"
DUOFUXIANG = "110101001001"
DHM_C6 = "110101001006"
DHM_C9 = "110101001009"
DHM_C15 = "110101001015"
DONGCHENG = "110101000000"


@dataclass(frozen=True)
class ResourceSpec:
    at: str  # division code of the committee whose subtree it serves
    unit: str  # key of the offering unit in members.seeding.BEIJING_UNITS; "" for the committee
    kind: str
    category: str
    title: str
    description: str
    capacity: int
    capacity_unit: str


@dataclass(frozen=True)
class DemandSpec:
    at: str
    category: str
    title: str
    description: str
    source: str = Source.RESIDENT
    people: int = 1
    urgency: str = Urgency.NORMAL
    quantity: int | None = None
    quantity_unit: str = ""
    kind: str = DemandKind.NEED
    unit: str = ""  # raised by this member unit
    days: int | None = 60  # needed within this many days


V, P, X, F, G, E = (
    ResourceKind.VENUE,
    ResourceKind.VOLUNTEERS,
    ResourceKind.EXPERTISE,
    ResourceKind.FUNDS,
    ResourceKind.GOODS,
    ResourceKind.EQUIPMENT,
)
M2, PEOPLE, HOURS, YUAN, ITEMS, PLACES = (
    CapacityUnit.SQUARE_METRES,
    CapacityUnit.PEOPLE,
    CapacityUnit.HOURS,
    CapacityUnit.YUAN,
    CapacityUnit.ITEMS,
    CapacityUnit.PLACES,
)

# fmt: off
RESOURCES = [
    # 万寿路街道 / 五棵松: the street's staggered parking, the hospital's and 华熙's people.
    ResourceSpec(WANSHOULU, "", V, "交通停车", "五棵松周边错时停车泊位",
                 "街道协调驻区部队营区、华熙LIVE及周边单位夜间和节假日空闲车位，南门辟出停车场，"
                 "可为医院就医车辆提供错时停车位70余个，并规范非机动车停放区。", 70, PLACES),
    ResourceSpec(WANSHOULU, "wsl_law", P, "交通停车", "非机动车停放秩序巡查疏导力量",
                 "街道综合行政执法队牵头，文明引导员、志愿者近百人，开展点位管控、巡查和人流疏导，"
                 "整治非机动车乱停乱放。", 100, PEOPLE),
    ResourceSpec(WANSHOULU, "plagh", P, "医疗卫生", "解放军总医院党员医护志愿义诊队",
                 "医院党委组织党员医护人员进社区义诊、健康讲座、慢病咨询，每月两次。", 30, PEOPLE),
    ResourceSpec(WANSHOULU, "plagh", X, "平安建设", "急救技能培训（心肺复苏、AED）",
                 "急诊科党员骨干为社区居民、楼门长、物业人员讲授心肺复苏和AED使用。", 40, HOURS),
    ResourceSpec(WANSHOULU, "huaxi", V, "文化体育", "华熙LIVE·五棵松多功能活动场地",
                 "商业综合体活动广场与多功能厅，可承接社区文体活动、演出和宣传活动。", 800, M2),
    # 广安门内街道 / 核桃园: the bus plant's building.
    ResourceSpec(HETAOYUAN, "bus3", V, "养老服务", "保修三厂三层楼房（1500平方米）共建使用",
                 "公交集团保修三厂以共建方式提供一栋三层、面积1500平方米的楼房，改造后可用于老年人"
                 "用餐、助餐和文化娱乐，建设党群服务中心。", 1500, M2),
    ResourceSpec(GUANGANMENNEI, "bus3", P, "房屋修缮", "保修三厂党员技术骨干维修服务队",
                 "汽车修理技师党员利用周末为老旧小区居民维修电器、自行车和楼道设施。", 12, PEOPLE),
    # 怀柔区: UCAS's soil expertise for 河防口村 (and the rest of 怀北镇).
    ResourceSpec(HUAIBEI, "ucas", X, "企业服务", "国科大土壤改良修复剂与专家指导",
                 "中国科学院大学“论文写在大地上”：教授团队以修复剂提高土壤肥力，为果园、梨树、"
                 "农田提供土壤检测、施肥方案和种植技术指导。", 20, HOURS),
    ResourceSpec(HUAIROU, "ucas", P, "教育培训", "国科大研究生志愿支教与科普讲座",
                 "研究生党员到乡村学校、村党群服务中心开展科普讲座和课后辅导。", 25, PEOPLE),
    # 丰台区新村街道: couriers and riders as mobile grid members.
    ResourceSpec(XINCUN, "sf", P, "平安建设", "快递小哥“移动网格员”随手拍",
                 "顺丰快递员走街串巷，随手拍发现安全隐患、占道堆物，及时上报接诉即办。", 40, PEOPLE),
    ResourceSpec(XINCUN, "meituan", P, "环境整治", "外卖骑手随手拍环境问题",
                 "美团骑手送餐途中发现垃圾堆放、楼道堆物等环境问题随手拍上报。", 60, PEOPLE),
    ResourceSpec(XINCUN, "eleme", P, "养老服务", "骑手为独居老人送餐上门",
                 "饿了么蜂鸟骑手党员为独居老人、行动不便老人免费送餐上门。", 20, PEOPLE),
    # 东华门街道, the demo street: about twenty resources of its units and of the street.
    ResourceSpec(DONGHUAMEN, "palace", V, "文化体育", "故宫博物院文化讲堂",
                 "故宫讲解员党员为社区居民、青少年开展传统文化讲座和参观讲解。", 200, PEOPLE),
    ResourceSpec(DONGHUAMEN, "nmc", X, "教育培训", "国家博物馆青少年研学课堂",
                 "博物馆教育部党员开展四点半课堂研学、历史课堂，辅导中小学生。", 30, HOURS),
    ResourceSpec(DONGHUAMEN, "commerce", X, "企业服务", "商务局营商环境政策解读",
                 "为辖区企业、商户讲解消费券、营商政策和融资支持。", 10, HOURS),
    ResourceSpec(DHM_C15, "pumch", P, "医疗卫生", "协和医院党员专家社区义诊",
                 "协和医院党员专家每月到社区义诊、健康讲座、慢病随访，为老年人看病就医提供咨询。",
                 20, PEOPLE),
    ResourceSpec(DHM_C15, "wfj", G, "养老服务", "王府井百货助老爱心物资",
                 "为独居老人、困难老年人提供米面油、防滑鞋等助老物资。", 300, ITEMS),
    ResourceSpec(DHM_C15, "wfj", F, "其他", "王府井百货微心愿帮扶资金",
                 "党员职工捐款，用于认领社区居民微心愿和困难家庭帮扶。", 20000, YUAN),
    ResourceSpec(DHM_C6, "school27", V, "文化体育", "二十七中体育场馆周末开放",
                 "学校操场、篮球场周末向社区居民开放，可开展文体活动。", 3000, M2),
    ResourceSpec(DHM_C9, "dsk_primary", P, "教育培训", "灯市口小学党员教师课后托管",
                 "党员教师为双职工家庭孩子提供四点半课堂托管和作业辅导。", 8, PEOPLE),
    ResourceSpec(DONGHUAMEN, "dhm_socorg", P, "养老服务", "社会组织助老志愿服务队",
                 "社会组织联合会志愿者为独居老人上门陪伴、助餐、理发、代购。", 50, PEOPLE),
    ResourceSpec(DONGHUAMEN, "dhm_cg", P, "环境整治", "城管执法队街巷环境整治",
                 "报到执法队员配合街巷长整治楼道堆物、违规广告、占道经营，垃圾分类指导。",
                 15, PEOPLE),
    ResourceSpec(DONGHUAMEN, "dhm_police", X, "平安建设", "派出所社区民警防诈骗宣传",
                 "社区民警开展防范电信诈骗、治安防控宣传，排查安全隐患。", 20, HOURS),
    ResourceSpec(DONGHUAMEN, "dhm_fire", X, "平安建设", "消防站消防安全检查与演练",
                 "消防员入户排查电动自行车充电、楼道堆物等消防隐患，组织灭火演练。", 24, HOURS),
    ResourceSpec(DONGHUAMEN, "dhm_water", X, "房屋修缮", "水务所管线排查与维修",
                 "排查老旧小区上下水管线，汛期前疏通雨水口，维修跑冒滴漏。", 40, HOURS),
    ResourceSpec(DONGHUAMEN, "dhm_housing", X, "房屋修缮", "房管站老旧小区修缮技术咨询",
                 "为老旧小区房屋修缮、加装电梯、屋顶防水提供技术咨询和施工协调。", 30, HOURS),
    ResourceSpec(DONGHUAMEN, "dhm_traffic", P, "交通停车", "交通大队胡同停车秩序治理",
                 "交警中队配合街道规范胡同停车，施划停车位，治理乱停乱放、地桩地锁。",
                 10, PEOPLE),
    ResourceSpec(DONGHUAMEN, "", V, "交通停车", "东华门街道夜间错时停车位",
                 "协调辖区机关单位夜间开放内部停车场，为胡同居民提供错时停车位。", 120, PLACES),
    ResourceSpec(DONGHUAMEN, "", V, "养老服务", "东华门街道老年餐桌",
                 "街道养老驿站老年餐桌，为老年人提供午餐助餐服务，可送餐上门。", 80, PEOPLE),
    ResourceSpec(DONGHUAMEN, "", X, "法律服务", "街道公共法律服务工作站",
                 "律师每周坐班，提供法律咨询、法律援助、矛盾纠纷调解。", 50, HOURS),
    ResourceSpec(DONGHUAMEN, "", X, "就业创业", "街道就业服务站招聘对接",
                 "为失业人员、高校毕业生提供岗位推荐、技能培训和创业指导。", 100, PEOPLE),
]

DEMANDS = [
    # 五棵松: the hospital's parking and the disorder of bicycles (the unit contact's demand).
    DemandSpec(FUXINGLU28, "交通停车", "解放军总医院周边停车难、非机动车乱停乱放",
               "医院每日门诊量3万余人，华熙LIVE每日客流3万余人，周边就医车辆停车难，非机动车乱停"
               "乱放引发交通拥堵，希望协调错时停车位，规范非机动车停放。",
               Source.MEMBER_UNIT, 30000, Urgency.HIGH, 70, PLACES, unit="plagh"),
    DemandSpec(FUXINGLU28, "医疗卫生", "复兴路28号社区老年人健康义诊",
               "社区独居老人、高龄老人较多，看病就医不便，希望医院党员医护定期进社区义诊和健康讲座。",
               people=260, quantity=10, quantity_unit=PEOPLE),
    DemandSpec(WANSHOULU, "平安建设", "楼门长急救技能培训",
               "街道楼门长、物业人员缺乏心肺复苏和AED使用技能，希望开展急救培训。",
               Source.MEETING, 80, quantity=8, quantity_unit=HOURS),
    # 核桃园: the elderly's meals.
    DemandSpec(HETAOYUAN, "养老服务", "核桃园社区老年人用餐难，需助餐场所",
               "社区老年人多，缺少老年餐桌和活动场所，老年人用餐和娱乐难，希望辖区单位提供"
               "场地建设助餐点和党群服务中心。",
               Source.RESIDENT, 600, Urgency.HIGH, 1000, M2),
    DemandSpec(HETAOYUAN, "房屋修缮", "核桃园老旧小区楼道设施维修",
               "老旧小区楼道灯、扶手、单元门损坏，居民希望党员技术骨干帮助维修。",
               people=120, quantity=4, quantity_unit=PEOPLE),
    # 河防口村: the pear orchard.
    DemandSpec(HEFANGKOU, "企业服务", "河防口村20亩梨树土壤肥力下降，需土壤改良技术",
               "果农化肥和农药用量上升，土壤受影响，红肖梨口感、甜度下降，销售遇困难，希望专家"
               "用修复剂、营养剂改良土壤，提高土壤肥力，指导梨树种植技术。",
               Source.MEETING, 150, Urgency.HIGH, 10, HOURS),
    DemandSpec(HEFANGKOU, "教育培训", "河防口村留守儿童暑期科普辅导",
               "村里留守儿童暑期缺少辅导，希望高校志愿者开展科普讲座和课后辅导。",
               people=40, quantity=5, quantity_unit=PEOPLE),
    # 丰台区新村街道.
    DemandSpec(XINCUN, "平安建设", "科技园周边占道堆物和安全隐患发现难",
               "街巷长人手有限，希望快递小哥、外卖骑手作为移动网格员随手拍上报安全隐患和堆物。",
               Source.SNAPSHOT, 5000, quantity=30, quantity_unit=PEOPLE),
    DemandSpec(XINCUN, "养老服务", "独居老人送餐上门",
               "辖区独居老人行动不便，希望骑手帮助送餐上门。", people=45),
    # 东华门街道 and its communities: about twenty more.
    DemandSpec(DUOFUXIANG, "养老服务", "多福巷社区独居老人助餐",
               "社区有独居老人30余位，做饭不便，希望老年餐桌助餐、送餐上门。",
               people=32, quantity=30, quantity_unit=PEOPLE),
    DemandSpec(DUOFUXIANG, "医疗卫生", "多福巷社区慢病老人健康讲座",
               "高血压、糖尿病老人较多，希望医院专家开展义诊和健康讲座。", people=90),
    DemandSpec(DUOFUXIANG, "交通停车", "胡同夜间停车难",
               "胡同停车位少，居民下班后停车难、乱停乱放，希望协调错时停车。",
               Source.HOTLINE, 150, Urgency.HIGH, 40, PLACES),
    DemandSpec(DUOFUXIANG, "环境整治", "楼道堆物清理和垃圾分类指导",
               "老楼楼道堆物严重，存在消防隐患，希望开展环境整治和垃圾分类指导。",
               Source.SNAPSHOT, 200),
    DemandSpec(DUOFUXIANG, "平安建设", "电动自行车楼道充电隐患排查",
               "居民在楼道给电动自行车充电，希望消防站排查消防隐患、开展安全宣传。",
               Source.HOTLINE, 300, Urgency.HIGH),
    DemandSpec(DUOFUXIANG, "其他", "微心愿：独居老人想要一台收音机",
               "社区独居老人王奶奶眼睛不好，想要一台能听戏的收音机。", kind=DemandKind.WISH),
    DemandSpec(DUOFUXIANG, "其他", "微心愿：困难家庭孩子需要一套课外读物",
               "低保家庭小学生希望得到一套课外读物和文具。", kind=DemandKind.WISH),
    DemandSpec(DUOFUXIANG, "其他", "微心愿：残疾居民希望有人陪同去医院复查",
               "行动不便的残疾居民希望党员志愿者陪同去医院复查。", kind=DemandKind.WISH),
    DemandSpec(DUOFUXIANG, "其他", "微心愿：空巢老人想学用智能手机",
               "空巢老人想学会用智能手机视频通话、挂号。", kind=DemandKind.WISH),
    DemandSpec(DUOFUXIANG, "其他", "微心愿：老人想要一副防滑拐杖",
               "八旬老人冬天出门怕滑倒，希望得到一副防滑拐杖。", kind=DemandKind.WISH),
    DemandSpec(DHM_C6, "教育培训", "双职工家庭孩子放学后托管",
               "社区双职工家庭多，孩子放学后无人照看，希望开办四点半课堂托管辅导。",
               people=60, quantity=6, quantity_unit=PEOPLE),
    DemandSpec(DHM_C6, "文化体育", "社区居民文体活动缺少场地",
               "社区广场舞队、太极拳队缺少活动场地，希望单位场馆周末开放。",
               people=120, quantity=500, quantity_unit=M2),
    DemandSpec(DHM_C9, "房屋修缮", "老旧小区屋顶漏水维修",
               "老旧小区屋顶防水老化，雨季漏水，希望房管站协调修缮。",
               Source.HOTLINE, 80, Urgency.HIGH),
    DemandSpec(DHM_C9, "房屋修缮", "汛期前排查上下水管线",
               "老旧平房区上下水管线老化，汛期易堵，希望水务所排查疏通。", people=150),
    DemandSpec(DHM_C15, "文化体育", "青少年传统文化讲座",
               "社区青少年希望走进故宫、博物馆，参加传统文化讲座和参观讲解。",
               people=50, quantity=50, quantity_unit=PEOPLE),
    DemandSpec(DHM_C15, "企业服务", "沿街商户营商政策咨询",
               "王府井沿街商户希望了解消费券、融资支持等营商政策。",
               Source.MEMBER_UNIT, 40, unit="wfj"),
    DemandSpec(DONGHUAMEN, "法律服务", "邻里纠纷调解和法律咨询",
               "胡同邻里因私搭乱建、噪音产生纠纷，希望律师提供法律咨询和调解。", people=20),
    DemandSpec(DONGHUAMEN, "就业创业", "辖区失业人员就业岗位对接",
               "街道登记失业人员希望得到岗位推荐和技能培训。", people=35),
    DemandSpec(DONGHUAMEN, "平安建设", "老年人防电信诈骗宣传",
               "近期老年人被骗案件增多，希望派出所民警开展防诈骗宣传。", people=500),
]
# fmt: on

# Claims a unit makes and the other side accepts: (demand title, unit key, resource title, qty).
ACCEPTED_CLAIMS = [
    ("楼门长急救技能培训", "plagh", "急救技能培训（心肺复苏、AED）", 8),
    ("核桃园老旧小区楼道设施维修", "bus3", "保修三厂党员技术骨干维修服务队", 4),
    ("老旧小区屋顶漏水维修", "dhm_housing", "房管站老旧小区修缮技术咨询", 10),
    ("双职工家庭孩子放学后托管", "dsk_primary", "灯市口小学党员教师课后托管", 6),
]
ESCALATED = "电动自行车楼道充电隐患排查"  # 多福巷社区 → 东华门街道


def unit_keys() -> dict[str, str]:
    return {spec.key: spec.name for spec in BEIJING_UNITS}


def seed_beijing_demands(tenant: Tenant) -> dict[str, int]:
    """Seed Beijing's demands and resources. Runs its own transaction; the matching queued by
    publishing runs when it commits (at once with eager Celery tasks, as in the demo)."""
    with transaction.atomic():
        _seed(tenant)
    # Anything matching left for later (a worker without eager tasks) is done here, so the
    # demo has its matches however Celery runs.
    pass

    for demand_id in Demand.objects.filter(
        tenant=tenant, status=DemandStatus.PUBLISHED, matches__isnull=True
    ).values_list("pk", flat=True):
        match_demand(demand_id)
    return {
        "demands": Demand.objects.filter(tenant=tenant).count(),
        "resources": Resource.objects.filter(tenant=tenant).count(),
        "matches": Demand.objects.filter(tenant=tenant, matches__isnull=False).distinct().count(),
    }


def _seed(tenant: Tenant) -> None:
    categories = {c.name: c for c in categories_ensure_defaults(tenant)}
    codes = {spec.at for spec in [*RESOURCES, *DEMANDS]}
    places = {
        c.division_code: c for c in Committee.objects.filter(tenant=tenant, division_code__in=codes)
    }
    keys_by_name = {name: key for key, name in unit_keys().items()}
    units = {
        keys_by_name[unit.name]: unit
        for unit in MemberUnit.objects.filter(tenant=tenant, name__in=list(keys_by_name))
    }
    admin = User.objects.get(username="bj_admin")
    staff = {u.username: u for u in User.objects.filter(username__in=["donghuamen_staff"])}
    contact = User.objects.filter(username=UNIT_CONTACT_DEMO.username).first()

    def actor_for(code: str, unit_key: str) -> User:
        if unit_key == "plagh" and contact is not None:
            return contact
        if code.startswith("110101001") and "donghuamen_staff" in staff:
            return staff["donghuamen_staff"]
        return admin

    def unit_actor(unit_key: str) -> User:
        """A unit raises and claims through its contact (the rule of `demands.policies`)."""
        if unit_key == "plagh" and contact is not None:
            return contact
        return unit_contact(units[unit_key])

    existing = set(Resource.objects.filter(tenant=tenant).values_list("title", flat=True))
    resources: dict[str, Resource] = {}
    for spec in RESOURCES:
        if spec.title in existing or spec.at not in places:
            continue
        resources[spec.title] = resource_services.resource_create(
            actor=actor_for(spec.at, spec.unit),
            committee=places[spec.at],
            offered_by=units.get(spec.unit) if spec.unit else None,
            data=resource_services.ResourceData(
                title=spec.title,
                kind=spec.kind,
                category=categories[spec.category],
                capacity=spec.capacity,
                capacity_unit=spec.capacity_unit,
                description=spec.description,
            ),
        )
    today = timezone.localdate()
    existing = set(Demand.objects.filter(tenant=tenant).values_list("title", flat=True))
    for spec in DEMANDS:
        if spec.title in existing or spec.at not in places:
            continue
        services.demand_create(
            actor=unit_actor(spec.unit) if spec.unit else actor_for(spec.at, ""),
            committee=places[spec.at],
            raised_by_unit=units.get(spec.unit) if spec.unit else None,
            publish=True,
            data=services.DemandData(
                title=spec.title,
                description=spec.description,
                category=categories[spec.category],
                source=spec.source,
                kind=spec.kind,
                people_affected=spec.people,
                urgency=spec.urgency,
                needed_by=today + dt.timedelta(days=spec.days) if spec.days else None,
                quantity=spec.quantity,
                quantity_unit=spec.quantity_unit,
            ),
        )
    for demand_title, unit_key, resource_title, quantity in ACCEPTED_CLAIMS:
        demand = Demand.objects.filter(tenant=tenant, title=demand_title).first()
        resource = Resource.objects.filter(tenant=tenant, title=resource_title).first()
        unit = units.get(unit_key)
        if demand is None or resource is None or unit is None:
            continue
        if Claim.objects.filter(demand=demand, unit=unit).exists():
            continue
        claim = services.claim_by_unit(
            actor=unit_actor(unit_key),
            unit=unit,
            demand=demand,
            resource=resource,
            quantity=quantity,
            message="我单位党员可承接，请确认。",
        )
        services.claim_accept(claim=claim, actor=actor_for(demand.committee.division_code, ""))
    _escalate(tenant, ESCALATED)


def unit_contact(unit: MemberUnit) -> User:
    """The unit's contact account (named after the contact person the unit gave), opened once."""
    grant = (
        RoleGrant.objects.filter(role=Role.UNIT_CONTACT, member_unit=unit)
        .select_related("user")
        .first()
    )
    if grant is not None:
        return grant.user
    user = User.objects.filter(
        username=f"contact-{unit.pk}"
    ).first() or account_services.user_create(
        tenant=unit.tenant,
        username=f"contact-{unit.pk}",
        password_hash=demo_password_hash(),
        display_name=unit.contact_name or unit.name,
    )
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user


def _escalate(tenant: Tenant, title: str) -> None:
    """Its community's deadline has passed: it rises to the street, whose staff hear of it."""
    demand = Demand.objects.filter(tenant=tenant, title=title).first()
    if (
        demand is None
        or demand.status != DemandStatus.PUBLISHED
        or demand.handling_committee_id != demand.committee_id
    ):
        return
    Demand.objects.filter(pk=demand.pk).update(
        escalation_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    services.demand_escalate(demand=demand)
