"""The demo's member units, seats, subcommittees, alliances, registered party members and their
service, taken from the source documents (units, places and figures are real; people are not)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from committees.models import Committee
from demo.names import credit_code, stable_number
from members.models import (
    AllianceKind,
    PartyOrgType,
    SeatRole,
    SubcommitteeField,
    UnitKind,
)
from party_members.models import (
    ServiceKind,
    TeamKind,
)

# --- the demo's member units, from the source documents ------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    key: str  # how the rest of the demo data refers to the unit
    name: str
    kind: str
    category: str  # credit code category; "" for a military unit, which has no code
    at: str  # division code (or name, for a functional zone) of the committee where it stands
    joins: tuple[str, ...] = ()  # further committees it is a member of
    address: str = ""
    party_org_type: str = PartyOrgType.BRANCH
    party_member_count: int = 0


# fmt: off
BEIJING_UNITS = [
    # 海淀区万寿路街道: the 五棵松 traffic clean-up (2022) with the hospital, 华熙LIVE and the barracks.
    UnitSpec("plagh", "中国人民解放军总医院", UnitKind.HOSPITAL, "12", "110108001021",
             ("110108001000",), "海淀区复兴路28号", PartyOrgType.COMMITTEE, 2860),
    UnitSpec("huaxi", "华熙LIVE·五棵松", UnitKind.PRIVATE, "91", "110108001000", (),
             "海淀区复兴路69号", PartyOrgType.GENERAL_BRANCH, 46),
    UnitSpec("barracks", "驻区部队某部营区房管处", UnitKind.MILITARY, "", "110108001010",
             ("110108001000",), "海淀区复兴路22号", PartyOrgType.BRANCH, 23),
    UnitSpec("wsl_law", "海淀区万寿路街道综合行政执法队", UnitKind.DEPARTMENT, "11",
             "110108001000", (), "海淀区万寿路街道", PartyOrgType.BRANCH, 18),
    # 西城区广安门内街道: the bus plant lent a 1,500 m² building for the 核桃园 party service centre.
    UnitSpec("bus3", "北京公交集团保修三厂", UnitKind.STATE_OWNED, "91", "110102017006",
             ("110102017000",), "西城区广安门内核桃园", PartyOrgType.GENERAL_BRANCH, 134),
    # 怀柔区: UCAS improves the soil of 河防口村's pear orchard ("论文写在大地上").
    UnitSpec("ucas", "中国科学院大学", UnitKind.UNIVERSITY, "12", "110116000000",
             ("怀柔科学城党建工作协调委员会", "110116106000", "110116106208"),
             "怀柔区雁栖湖东路1号", PartyOrgType.COMMITTEE, 5120),
    UnitSpec("hfk_coop", "河防口村股份经济合作社", UnitKind.OTHER, "N2", "110116106208", (),
             "怀柔区怀北镇河防口村", PartyOrgType.BRANCH, 31),
    # 丰台区 science park: couriers and riders as "mobile grid members" (随手拍+接诉即办+积分激励).
    UnitSpec("sf", "顺丰速运丰台科技园营业部", UnitKind.NEW_ECONOMY, "91", "110106010000", (),
             "丰台区丰台科技园", PartyOrgType.JOINT_BRANCH, 9),
    UnitSpec("meituan", "美团外卖丰台科技园站", UnitKind.NEW_ECONOMY, "91", "110106010000", (),
             "丰台区丰台科技园", PartyOrgType.JOINT_BRANCH, 7),
    UnitSpec("eleme", "饿了么蜂鸟即配丰台科技园站", UnitKind.NEW_ECONOMY, "91", "110106010000",
             (), "丰台区丰台科技园", PartyOrgType.JOINT_BRANCH, 5),
    # 东城区东华门街道, the demo street: central and municipal units, a hospital, schools, a shop.
    UnitSpec("palace", "故宫博物院", UnitKind.CENTRAL_AGENCY, "12", "110101001000", (),
             "东城区景山前街4号", PartyOrgType.COMMITTEE, 960),
    UnitSpec("nmc", "中国国家博物馆", UnitKind.CENTRAL_AGENCY, "12", "110101001000", (),
             "东城区东长安街16号", PartyOrgType.COMMITTEE, 620),
    UnitSpec("commerce", "北京市商务局", UnitKind.MUNICIPAL_AGENCY, "11", "110101001000", (),
             "", PartyOrgType.COMMITTEE, 410),
    UnitSpec("pumch", "北京协和医院", UnitKind.HOSPITAL, "12", "110101001015", (),
             "东城区帅府园1号", PartyOrgType.COMMITTEE, 2310),
    UnitSpec("wfj", "北京王府井百货（集团）股份有限公司", UnitKind.STATE_OWNED, "91",
             "110101001015", (), "东城区王府井大街255号", PartyOrgType.COMMITTEE, 386),
    UnitSpec("school27", "北京市第二十七中学", UnitKind.SCHOOL, "12", "110101001006", (),
             "东城区智德北巷", PartyOrgType.GENERAL_BRANCH, 88),
    UnitSpec("dsk_primary", "北京市东城区灯市口小学", UnitKind.SCHOOL, "12", "110101001009",
             ("110101001000",), "东城区灯市口", PartyOrgType.BRANCH, 41),
    UnitSpec("dhm_socorg", "东华门街道社会组织联合会", UnitKind.SOCIAL_ORGANISATION, "51",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 12),
    # 东华门's departments, which answer the street's whistles (街乡吹哨、部门报到).
    UnitSpec("dhm_cg", "东城区城市管理综合行政执法局东华门街道执法队", UnitKind.DEPARTMENT,
             "11", "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 21),
    UnitSpec("dhm_police", "北京市公安局东城分局东华门派出所", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.GENERAL_BRANCH, 64),
    UnitSpec("dhm_fire", "东城区消防救援支队东华门消防救援站", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 17),
    UnitSpec("dhm_water", "东城区水务局东华门水务所", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 9),
    UnitSpec("dhm_housing", "东城区住房和城乡建设委员会东华门房屋管理站", UnitKind.DEPARTMENT,
             "11", "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 11),
    UnitSpec("dhm_traffic", "东城交通支队东华门大队", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 26),
    UnitSpec("dhm_env", "东城区生态环境局东华门执法组", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 7),
    # 景山街道.
    UnitSpec("namoc", "中国美术馆", UnitKind.CENTRAL_AGENCY, "12", "110101002000", (),
             "东城区五四大街1号", PartyOrgType.COMMITTEE, 215),
    UnitSpec("bjart", "北京人民艺术剧院", UnitKind.MUNICIPAL_AGENCY, "12", "110101002000", (),
             "东城区王府井大街22号", PartyOrgType.COMMITTEE, 178),
    # 朝阳区安贞街道: 167 member units in "six alliances", each with a joint party branch.
    UnitSpec("anzhen_hosp", "首都医科大学附属北京安贞医院", UnitKind.HOSPITAL, "12",
             "110105008000", (), "朝阳区安贞路2号", PartyOrgType.COMMITTEE, 1840),
    UnitSpec("anzhen_chc", "朝阳区安贞社区卫生服务中心", UnitKind.HOSPITAL, "12",
             "110105008000", (), "朝阳区安贞街道", PartyOrgType.BRANCH, 38),
    UnitSpec("anzhen_mall", "北京华联安贞购物中心", UnitKind.PRIVATE, "91", "110105008052",
             ("110105008000",), "朝阳区安贞里", PartyOrgType.BRANCH, 27),
    UnitSpec("anzhen_estate", "北京安华物业管理有限公司", UnitKind.PRIVATE, "91", "110105008053",
             ("110105008000",), "朝阳区安贞西里", PartyOrgType.BRANCH, 14),
    UnitSpec("anzhen_school", "北京市朝阳区安贞里小学", UnitKind.SCHOOL, "12", "110105008052",
             ("110105008000",), "朝阳区安贞里", PartyOrgType.BRANCH, 33),
    UnitSpec("anzhen_police", "北京市公安局朝阳分局安贞派出所", UnitKind.DEPARTMENT, "11",
             "110105008000", (), "朝阳区安贞街道", PartyOrgType.GENERAL_BRANCH, 58),
    # 朝阳区 (district): the five subcommittees' member units; SKP and 莱锦 in 八里庄 (CBD).
    UnitSpec("skp", "北京SKP", UnitKind.PRIVATE, "91", "110105015000", (),
             "朝阳区建国路87号", PartyOrgType.GENERAL_BRANCH, 96),
    UnitSpec("laijin", "莱锦文化创意产业园", UnitKind.STATE_OWNED, "91", "110105015000", (),
             "朝阳区八里庄东里1号", PartyOrgType.BRANCH, 44),
    UnitSpec("cbd", "北京商务中心区管理委员会", UnitKind.DISTRICT_AGENCY, "11", "110105000000",
             (), "朝阳区", PartyOrgType.COMMITTEE, 160),
    UnitSpec("cy_police", "北京市公安局朝阳分局", UnitKind.DEPARTMENT, "11", "110105000000", (),
             "朝阳区", PartyOrgType.COMMITTEE, 2400),
    UnitSpec("cy_fire", "朝阳区消防救援支队", UnitKind.DEPARTMENT, "11", "110105000000", (),
             "朝阳区", PartyOrgType.COMMITTEE, 310),
    UnitSpec("cy_culture", "北京市朝阳区文化馆", UnitKind.DISTRICT_AGENCY, "12", "110105000000",
             (), "朝阳区", PartyOrgType.BRANCH, 45),
    UnitSpec("cy_hosp", "首都医科大学附属北京朝阳医院", UnitKind.HOSPITAL, "12", "110105000000",
             (), "朝阳区工人体育场南路8号", PartyOrgType.COMMITTEE, 1650),
    UnitSpec("cy_city", "北京市朝阳区城市管理委员会", UnitKind.DEPARTMENT, "11", "110105000000",
             (), "朝阳区", PartyOrgType.COMMITTEE, 120),
]

SHANGHAI_UNITS = [
    # 小东门街道: the audit bureau gave a 2,000 m² building for the 康家弄 family service station.
    UnitSpec("audit", "上海市审计局", UnitKind.MUNICIPAL_AGENCY, "11", "310101017000", (),
             "", PartyOrgType.COMMITTEE, 520),
    UnitSpec("bund", "上海外滩投资开发（集团）有限公司", UnitKind.STATE_OWNED, "91",
             "310101013000", (), "黄浦区", PartyOrgType.COMMITTEE, 210),
    UnitSpec("bwt", "上海北外滩（集团）有限公司", UnitKind.STATE_OWNED, "91", "310109018000", (),
             "虹口区", PartyOrgType.COMMITTEE, 180),
    UnitSpec("ypbj", "上海杨浦滨江投资开发有限公司", UnitKind.STATE_OWNED, "91", "310110018000",
             (), "杨浦区", PartyOrgType.GENERAL_BRANCH, 64),
    UnitSpec("xhbj", "上海徐汇滨江开发投资建设有限公司", UnitKind.STATE_OWNED, "91",
             "310104016000", (), "徐汇区", PartyOrgType.GENERAL_BRANCH, 72),
    UnitSpec("lujiazui", "上海陆家嘴（集团）有限公司", UnitKind.STATE_OWNED, "91",
             "310115005000", (), "浦东新区", PartyOrgType.COMMITTEE, 640),
    UnitSpec("shtower", "上海中心大厦建设发展有限公司", UnitKind.STATE_OWNED, "91",
             "310115005000", (), "浦东新区陆家嘴银城中路501号", PartyOrgType.GENERAL_BRANCH, 86),
    # 虹口区江湾镇街道: the first social organisation whose business is adding lifts to old blocks.
    UnitSpec("jiajiale", "家加乐加装电梯事务所", UnitKind.SOCIAL_ORGANISATION, "52",
             "310109019000", (), "虹口区江湾镇街道", PartyOrgType.BRANCH, 9),
]

DATONG_UNITS = [
    UnitSpec("dt_center", "大同市党群服务中心", UnitKind.MUNICIPAL_AGENCY, "12", "140213050000",
             (), "平城区", PartyOrgType.BRANCH, 36),
    UnitSpec("dt_dongxin", "东信电子商圈", UnitKind.PRIVATE, "91", "140213050000", (),
             "平城区", PartyOrgType.COMMITTEE, 112),
    UnitSpec("dt_hosp", "大同市第三人民医院", UnitKind.HOSPITAL, "12", "140213050000", (),
             "平城区", PartyOrgType.COMMITTEE, 640),
    UnitSpec("dt_estate", "大同市御河物业服务有限公司", UnitKind.PRIVATE, "91", "140213050001",
             ("140213050000",), "平城区永泰街道康吉社区", PartyOrgType.BRANCH, 8),
    UnitSpec("dt_wenyuan", "平城区水泊寺街道文源社区卫生服务站", UnitKind.HOSPITAL, "12",
             "140213066006", (), "平城区水泊寺街道", PartyOrgType.BRANCH, 6),
]
# fmt: on


def unit_credit_code(spec: UnitSpec, committee: Committee) -> str:
    if not spec.category:
        return ""
    region = (committee.division_code or committee.parent.division_code)[:6]
    return credit_code(spec.category, region, stable_number("unit", spec.name))


@dataclass(frozen=True)
class SubcommitteeSpec:
    committee: str  # division code
    field: str
    chairs: tuple[tuple[str, str], ...]  # (unit key, acting chair) in rotation order
    start: dt.date = dt.date(2025, 1, 1)
    months: int = 3


# 朝阳区's five fields, chaired in turn by the member units' leaders the way 大兴区 does it; and
# one street-level pair at 东华门 so the demo street shows a rotation too.
SUBCOMMITTEES = [
    SubcommitteeSpec(
        "110105000000",
        SubcommitteeField.ECONOMY,
        (("skp", "陈立新"), ("cbd", "赵永刚"), ("anzhen_mall", "孙丽华")),
    ),
    SubcommitteeSpec(
        "110105000000", SubcommitteeField.SAFETY, (("cy_police", "马振国"), ("cy_fire", "韩志强"))
    ),
    SubcommitteeSpec(
        "110105000000", SubcommitteeField.CULTURE, (("laijin", "吴晓燕"), ("cy_culture", "郑文博"))
    ),
    SubcommitteeSpec(
        "110105000000",
        SubcommitteeField.LIVELIHOOD,
        (("anzhen_hosp", "冯建华"), ("cy_hosp", "曹雪梅"), ("anzhen_estate", "邓海峰")),
    ),
    SubcommitteeSpec(
        "110105000000",
        SubcommitteeField.URBAN_GOVERNANCE,
        (("cy_city", "彭立军"), ("anzhen_school", "肖春燕")),
    ),
    SubcommitteeSpec(
        "110101001000",
        SubcommitteeField.LIVELIHOOD,
        (("pumch", "蒋文华"), ("wfj", "沈志明"), ("school27", "姚晓琳")),
        dt.date(2025, 7, 1),
        4,
    ),
    SubcommitteeSpec(
        "110101001000",
        SubcommitteeField.SAFETY,
        (("dhm_police", "卢建军"), ("dhm_fire", "钟振宇"), ("dhm_cg", "谭国强")),
        dt.date(2026, 1, 1),
        2,
    ),
]


@dataclass(frozen=True)
class SeatSpec:
    role: str
    person_name: str
    title: str
    unit: str = ""  # unit key


SEATS = {
    # 东华门街道: the street's party secretary directs; units' leaders sit as members;
    # departments' and communities' heads are part-time members.
    "110101001000": [
        SeatSpec(SeatRole.DIRECTOR, "周立群", "东华门街道工委书记"),
        SeatSpec(SeatRole.DEPUTY_DIRECTOR, "高文彬", "东华门街道办事处主任"),
        SeatSpec(SeatRole.DEPUTY_DIRECTOR, "林晓东", "故宫博物院党委副书记", "palace"),
        SeatSpec(SeatRole.MEMBER, "蒋文华", "北京协和医院党委副书记", "pumch"),
        SeatSpec(SeatRole.MEMBER, "沈志明", "王府井百货集团党委书记", "wfj"),
        SeatSpec(SeatRole.MEMBER, "何静怡", "中国国家博物馆机关党委常务副书记", "nmc"),
        SeatSpec(SeatRole.MEMBER, "姚晓琳", "北京市第二十七中学党总支书记", "school27"),
        SeatSpec(SeatRole.MEMBER, "罗振兴", "北京市商务局机关党委专职副书记", "commerce"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "卢建军", "东华门派出所所长", "dhm_police"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "谭国强", "东华门街道执法队队长", "dhm_cg"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "宋丽娟", "多福巷社区党委书记"),
    ],
    # 万寿路街道: the hospital's service centre sits on the committee that cleared 五棵松.
    "110108001000": [
        SeatSpec(SeatRole.DIRECTOR, "许国栋", "万寿路街道工委书记"),
        SeatSpec(SeatRole.DEPUTY_DIRECTOR, "唐振华", "解放军总医院服务保障中心主任", "plagh"),
        SeatSpec(SeatRole.MEMBER, "韦思雨", "华熙LIVE·五棵松党总支书记", "huaxi"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "秦海涛", "万寿路街道综合行政执法队队长", "wsl_law"),
    ],
}


@dataclass(frozen=True)
class AllianceSpec:
    home: str  # division code, "" for the tenant's root
    name: str
    kind: str
    units: tuple[str, ...]
    committees: tuple[str, ...] = ()
    description: str = ""


ANZHEN_ALLIANCE_NOTE = (
    "安贞街道将167家党建工作协调委员会成员单位按工作性质、资源优势组建“六大联盟”，"
    "并成立各联盟联合党支部。"
)
# The rest of 安贞's 167 member units, grouped as the street grouped them: by the nature of their
# work and what they can offer. The six named above play the cases; these fill each alliance to
# the street's reported size with units of the kinds that stand in a dense, ageing old quarter.
ANZHEN = "110105008000"
ANZHEN_MEMBER_UNITS = 167
ANZHEN_GROUPS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    # (alliance, unit kind, credit category, name pattern, the names it is filled with)
    (
        "医疗健康联盟",
        UnitKind.PRIVATE,
        "91",
        "{}安贞店",
        (
            "同仁堂药店",
            "金象大药房",
            "嘉事堂药店",
            "养生堂中医馆",
            "瑞尔齿科",
            "爱尔眼科诊所",
            "美年大健康体检中心",
            "慈铭体检",
            "和睦家诊所",
            "好大夫康复中心",
            "泰康之家护理站",
            "国药控股大药房",
            "永安堂中医诊所",
            "京城皮肤诊所",
            "北大医疗康复",
            "润康药房",
            "怡康养老驿站",
            "福寿康居家护理",
            "乐成老年公寓",
            "安康听力验配",
            "华夏口腔",
            "维尔口腔",
            "康美大药房",
            "一心堂药店",
            "老百姓大药房",
            "千禧堂中医门诊",
        ),
    ),
    (
        "商务楼宇联盟",
        UnitKind.PRIVATE,
        "91",
        "北京安贞{}有限公司",
        (
            "大厦物业管理",
            "国际商务中心",
            "科技园运营",
            "写字楼资产管理",
            "联合办公",
            "商业管理",
            "会展服务",
            "广告传媒",
            "信息技术",
            "文化传播",
            "人力资源服务",
            "财务咨询",
            "律师事务所",
            "建筑设计",
            "软件开发",
            "网络科技",
            "电子商务",
            "餐饮管理",
            "酒店管理",
            "旅行社",
            "保险代理",
            "房地产经纪",
            "装饰工程",
            "印刷服务",
            "教育咨询",
            "健身服务",
            "贸易",
            "物流",
        ),
    ),
    (
        "平安建设联盟",
        UnitKind.PRIVATE,
        "91",
        "北京安贞{}有限公司",
        (
            "保安服务",
            "消防技术服务",
            "安防科技",
            "停车管理",
            "电梯维保",
            "燃气设备维修",
            "电力工程",
            "给排水工程",
            "环卫保洁",
            "垃圾分类服务",
            "绿化养护",
            "智能门禁",
            "监控工程",
            "应急救援培训",
            "防水工程",
            "管道疏通",
            "楼宇自控",
            "消防器材",
            "交通设施",
            "道路养护",
            "照明工程",
            "市政维修",
            "危废处置",
            "有害生物防治",
            "民防设施维护",
            "社区安全服务",
        ),
    ),
    (
        "教育文化联盟",
        UnitKind.SCHOOL,
        "12",
        "北京市朝阳区{}",
        (
            "安贞里第二小学",
            "外馆斜街中学",
            "安华里幼儿园",
            "安贞西里幼儿园",
            "安外社区少年宫",
            "青少年活动中心安贞分中心",
            "安贞文化馆",
            "安贞图书馆",
            "社区教育学校",
            "老年大学安贞教学点",
            "职工业余学校",
            "少儿艺术培训学校",
            "安贞书画院",
            "安贞剧场",
            "科普体验馆",
            "安贞体育中心",
            "青年宫",
            "民族乐团",
            "合唱团",
            "舞蹈学校",
            "国学堂",
            "书法协会",
            "摄影学会",
            "读书会",
            "非遗传习所",
            "文化市场管理所",
        ),
    ),
    (
        "金融服务联盟",
        UnitKind.STATE_OWNED,
        "91",
        "{}安贞支行",
        (
            "中国工商银行北京",
            "中国农业银行北京",
            "中国银行北京",
            "中国建设银行北京",
            "交通银行北京",
            "中国邮政储蓄银行北京",
            "招商银行北京",
            "北京银行",
            "北京农商银行",
            "中信银行北京",
            "光大银行北京",
            "民生银行北京",
            "华夏银行北京",
            "浦发银行北京",
            "兴业银行北京",
            "平安银行北京",
            "广发银行北京",
            "宁波银行北京",
            "南京银行北京",
            "渤海银行北京",
            "中国人寿北京",
            "中国人保北京",
            "太平洋保险北京",
            "泰康人寿北京",
            "新华保险北京",
        ),
    ),
    (
        "社会组织联盟",
        UnitKind.SOCIAL_ORGANISATION,
        "52",
        "北京市朝阳区{}",
        (
            "安贞社区服务中心",
            "安贞志愿者协会",
            "安贞社会工作事务所",
            "为老服务协会",
            "残疾人服务中心",
            "家庭教育指导中心",
            "心理健康服务中心",
            "青少年事务社工站",
            "妇女儿童服务中心",
            "邻里互助会",
            "楼门文化促进会",
            "社区营造中心",
            "慈善协会",
            "法律援助工作站",
            "调解协会",
            "环保志愿者协会",
            "养老助餐服务社",
            "社区基金会",
            "家政服务协会",
            "退役军人服务站",
            "新就业群体服务站",
            "物业管理协会",
            "业主自治促进会",
            "文体团队联合会",
            "民间艺术协会",
            "助残志愿队",
            "社区健康促进会",
            "老旧小区改造议事会",
            "停车自治管理委员会",
            "垃圾分类指导中心",
            "社区食堂服务社",
            "流动儿童关爱中心",
            "居家养老服务社",
            "社区康复协会",
            "邻里节促进会",
        ),
    ),
)
ANZHEN_NAMED = {
    "医疗健康联盟": ("anzhen_hosp", "anzhen_chc"),
    "商务楼宇联盟": ("anzhen_mall", "anzhen_estate"),
    "平安建设联盟": ("anzhen_police", "anzhen_estate", "anzhen_school"),
    "教育文化联盟": ("anzhen_school",),
    "金融服务联盟": (),
    "社会组织联盟": (),
}


def anzhen_units() -> list[UnitSpec]:
    """The generated members of 安贞街道, so that the street has its 167 units in all."""
    already = [u for u in BEIJING_UNITS if ANZHEN in (u.at, *u.joins)]
    wanted = ANZHEN_MEMBER_UNITS - len(already)
    rows = [
        (alliance, kind, category, pattern.format(name))
        for alliance, kind, category, pattern, names in ANZHEN_GROUPS
        for name in names
    ]
    specs = []
    for n, (_alliance, kind, category, name) in enumerate(rows[:wanted]):
        org = PartyOrgType.JOINT_BRANCH if kind in (UnitKind.PRIVATE,) else PartyOrgType.BRANCH
        specs.append(
            UnitSpec(
                f"anzhen_{n:03d}",
                name,
                kind,
                category,
                ANZHEN,
                (),
                "朝阳区安贞街道",
                org,
                3 + n % 17,
            )
        )
    return specs


def anzhen_alliance_units(alliance: str, generated: list[UnitSpec]) -> tuple[str, ...]:
    names = {
        pattern.format(name)
        for a, _k, _c, pattern, names in ANZHEN_GROUPS
        if a == alliance
        for name in names
    }
    return ANZHEN_NAMED[alliance] + tuple(s.key for s in generated if s.name in names)


ANZHEN_GENERATED = anzhen_units()
BEIJING_UNITS += ANZHEN_GENERATED
BEIJING_ALLIANCES = [
    AllianceSpec(
        ANZHEN,
        alliance,
        AllianceKind.WORK,
        anzhen_alliance_units(alliance, ANZHEN_GENERATED),
        description=ANZHEN_ALLIANCE_NOTE,
    )
    for alliance in ANZHEN_NAMED
]


# From 杨浦大桥 to 徐浦大桥, 45 km of riverside across 5 districts and 25 streets and towns.
RIVERSIDE_STREETS = (
    # 杨浦区
    "310110018000",
    "310110006000",
    "310110001000",
    "310110008000",
    # 虹口区
    "310109018000",
    # 黄浦区
    "310101002000",
    "310101013000",
    "310101017000",
    "310101018000",
    "310101015000",
    "310101020000",
    # 徐汇区
    "310104007000",
    "310104016000",
    "310104010000",
    "310104103000",
    # 浦东新区
    "310115011000",
    "310115013000",
    "310115005000",
    "310115004000",
    "310115008000",
    "310115010000",
    "310115007000",
    "310115009000",
    "310115015000",
    "310115130000",
)
SHANGHAI_ALLIANCES = [
    AllianceSpec(
        "",
        "滨江党建跨区域联盟",
        AllianceKind.CROSS_REGION,
        ("bund", "bwt", "ypbj", "xhbj", "lujiazui", "shtower", "audit"),
        RIVERSIDE_STREETS,
        "黄浦江两岸45公里滨江公共空间（杨浦大桥至徐浦大桥）贯通开放，横跨5个区25个街镇；"
        "由街镇党组织领导沿线单位、行业党组织和党员志愿者共同参与滨江治理。",
    ),
]

# Units' party organisations register with the community where they stand (双报到).
UNIT_REGISTRATIONS = [
    ("plagh", "110108001021", True),
    ("barracks", "110108001010", True),
    ("bus3", "110102017006", True),
    ("hfk_coop", "110116106208", True),
    ("palace", "110101001007", True),
    ("nmc", "110101001010", True),
    ("pumch", "110101001015", True),
    ("wfj", "110101001015", True),
    ("school27", "110101001006", True),
    ("dsk_primary", "110101001009", True),
    ("commerce", "110101001013", True),
    ("dhm_socorg", "110101001001", False),
]


# --- the demo's registered party members and their service ----------------------------------------


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    handle: str  # for usernames
    confirmed: int
    pending: int
    rejected: int = 0


DONGHUAMEN_MEMBERS = [
    CommunityPlan("110101001001", "dfx", 18, 3, 1),  # 多福巷社区
    CommunityPlan("110101001002", "yz", 6, 1),  # 银闸社区
    CommunityPlan("110101001007", "ncz", 5, 1),  # 南池子社区
    CommunityPlan("110101001015", "wfj", 4, 0),  # 王府井社区
    CommunityPlan("110101001009", "dsk", 3, 1),  # 灯市口社区
]
DATONG_MEMBERS = [CommunityPlan("140213050001", "dt-kj", 6, 1)]  # 永泰街道康吉社区

EMPLOYER_KEYS = ["palace", "pumch", "nmc", "wfj", "school27", "commerce", "namoc", "bjart", "plagh"]
OTHER_EMPLOYERS = [
    "国家电网北京市电力公司",
    "中国移动通信集团北京有限公司",
    "北京银行总行营业部",
    "北京市东城区教育委员会",
    "中国工商银行北京分行",
    "北京市自来水集团",
]
REJECT_REASON = "所填居住地址不在本社区，请到居住地所在社区报到。"


@dataclass(frozen=True)
class TeamSpec:
    community: str
    name: str
    kind: str
    members: slice  # which of the community's confirmed members join, in registration order


DONGHUAMEN_TEAMS = [
    TeamSpec("110101001001", "多福巷社区在职党员心愿认领队", TeamKind.WISH_CLAIMING, slice(0, 9)),
    TeamSpec("110101001001", "多福巷社区在职党员组团服务队", TeamKind.GROUP_SERVICE, slice(9, 19)),
    TeamSpec("110101001001", "多福巷社区共产党员先锋队", TeamKind.VANGUARD, slice(0, 19, 3)),
    TeamSpec("110101001002", "银闸社区在职党员组团服务队", TeamKind.GROUP_SERVICE, slice(0, 6)),
    TeamSpec("110101001007", "南池子社区在职党员心愿认领队", TeamKind.WISH_CLAIMING, slice(0, 5)),
]
DATONG_TEAMS = [
    # One of the 888 共产党员先锋队 and volunteer teams Datong formed in the epidemic.
    TeamSpec("140213050001", "康吉社区共产党员先锋队", TeamKind.VANGUARD, slice(0, 7)),
]

# What members do, by kind, in the words of the source documents.
SERVICE_WORK = {
    ServiceKind.ENVIRONMENT: [
        "周末卫生大扫除，清理胡同堆物堆料",
        "背街小巷环境整治，清理小广告",
        "“门前三包”检查，督促商户落实责任",
        "垃圾分类桶前值守，指导居民分类投放",
    ],
    ServiceKind.ELDERLY: [
        "为独居老人代购药品、上门探访",
        "老年餐桌助餐服务，为高龄老人送餐",
        "陪同行动不便老人就医",
        "为空巢老人检查燃气、更换灯泡",
    ],
    ServiceKind.CIVILITY: [
        "文明引导，规范非机动车停放",
        "王府井步行街文明劝导",
        "地铁口高峰时段秩序疏导",
    ],
    ServiceKind.VOLUNTEER: [
        "社区议事厅会议记录与意见整理",
        "胡同消防安全隐患排查",
        "社区义诊，测量血压、健康咨询",
        "为居民讲解医保、养老政策",
        "社区图书角整理与少儿阅读辅导",
    ],
    ServiceKind.WISH: [
        "心愿认领：为低保家庭孩子送去学习用品",
        "心愿认领：帮助高龄老人修理轮椅",
        "心愿认领：为残疾居民安装扶手",
    ],
    ServiceKind.EPIDEMIC: ["疫情防控卡口值守，协助登记出入人员", "协助开展核酸检测秩序维护"],
}
SERVICE_PLACES = ["社区党群服务中心", "胡同口", "居民楼院", "社区活动室", "街巷"]
VILLAGE_PLACES = ["党群服务中心", "村委会大院", "村口", "文化活动室"]
DEMO_HOURS = ["1.0", "1.5", "2.0", "2.0", "2.5", "3.0", "3.0", "4.0"]
