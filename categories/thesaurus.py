"""The tenant's thesaurus (同义词库): the words staff, residents and units use for the same need,
which the matching engine reads as one concept. A tenant starts with the default below (written
for the default categories, in the words of the lists: 吃饭 and 助餐, 工钱 and 欠薪, 电瓶车 and
电动自行车) and its root administrators edit it on the thesaurus pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from committees.models import Tenant
from core.errors import Errors

from .models import Category, ThesaurusEntry
from .policies import may_edit_categories

SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_WORD = 12
MAX_WORDS = 40

# (category or "" for all, headword, synonyms, related words)
# fmt: off
DEFAULT_THESAURUS: list[tuple[str, str, str, str]] = [
    # Who and where, whatever the category.
    ("", "老年人", "老人 老年 长者 高龄老人 老年朋友 老大爷 老大妈 大爷 大妈 爷爷 奶奶 老两口", ""),
    ("", "独居老人", "独居 孤寡老人 孤老 一个人住", "空巢老人"),
    ("", "空巢老人", "空巢 子女在外地 子女不在身边", "独居老人"),
    ("", "失能老人", "失能 半失能 失智 卧床 瘫痪 行动不便 腿脚不便 腿脚不好 卧病在床", ""),
    ("", "儿童", "孩子 小孩 小学生 中小学生 青少年 学生 小朋友 少儿 未成年人", ""),
    ("", "困难家庭", "低保 低保户 低保家庭 特困 困难群众 生活困难 困难户", ""),
    ("", "上门", "入户 到家 送上门 登门 家门口", ""),
    ("", "志愿者", "志愿服务 义工 志愿队 党员志愿者 志愿服务队", ""),
    ("", "场地", "地方 场所 会场 活动室 活动场地 室内场地 礼堂 大厅 多功能厅 用房 房间", ""),
    ("", "资金", "经费 补贴 资助 捐款 基金 拨款 费用", ""),
    ("", "物资", "物品 捐赠物资 爱心物资 捐赠", ""),
    ("", "讲座", "宣讲 讲课 知识讲座 讲一讲 讲讲 授课", "培训"),
    ("", "培训", "培训班 学习班 课程 教学 手把手教", "讲座"),
    ("", "咨询", "解答 答疑 问询 指导", ""),
    ("", "免费", "义务 公益 无偿", ""),
    # 养老服务
    ("养老服务", "助餐", "吃饭 就餐 用餐 午餐 午饭 老年餐 送餐 餐桌 老年餐桌 管饭 做饭 热乎饭 饭菜 三餐 "
     "助餐点 食堂 餐厅 送饭", "养老驿站"),
    ("养老服务", "助浴", "洗澡 洗浴 沐浴 擦身 助浴车 助浴点", ""),
    ("养老服务", "日间照料", "托老 日托 白天照看 白天托管 托养 照料 照看 看护 照护", "养老驿站"),
    ("养老服务", "陪伴", "聊天 说话 探访 探视 看望 关爱 巡访 陪聊", ""),
    ("养老服务", "适老化改造", "适老化 扶手 防滑 无障碍 紧急呼叫 居家改造 安全改造 防滑垫 摔倒", ""),
    ("养老服务", "康复", "康复训练 康复操 理疗 复健", ""),
    ("养老服务", "养老驿站", "驿站 养老服务中心 养老服务站 养老院 敬老院", ""),
    ("养老服务", "助洁", "打扫 家务 清洁 保洁", ""),
    ("养老服务", "代购", "代买 跑腿 买药 代办", ""),
    # 医疗卫生
    ("医疗卫生", "义诊", "看病 问诊 坐诊 巡诊 送医 就医", "医生"),
    ("医疗卫生", "医生", "医护 医护人员 大夫 护士 家庭医生 全科医生 医务人员", ""),
    ("医疗卫生", "慢病", "慢性病 高血压 糖尿病 血压 血糖 用药", ""),
    ("医疗卫生", "体检", "健康检查 查体 筛查", ""),
    ("医疗卫生", "健康知识", "健康教育 健康宣传 健康讲座 膳食 怎么吃", "讲座"),
    ("医疗卫生", "随访", "上门随访 换药 伤口护理 护理", "上门"),
    # 教育培训
    ("教育培训", "课后托管", "四点半课堂 放学后 放学 没人管 课后服务 托管 接孩子 没人接", "作业辅导"),
    ("教育培训", "作业辅导", "辅导作业 写作业 功课 辅导 补课 学习辅导 答疑解惑", "课后托管"),
    ("教育培训", "智能手机", "手机 视频通话 扫码 微信 网上挂号 挂号", "培训"),
    ("教育培训", "科普", "科学 科技 实验 科技馆", "研学"),
    ("教育培训", "研学", "研学活动 游学 夏令营 参观学习 学习活动 长见识", "科普"),
    ("教育培训", "暑期", "暑假 寒暑假 假期", ""),
    # 文化体育
    ("文化体育", "文艺演出", "演出 节目 文艺节目 晚会 联欢会 汇演 表演 文艺", ""),
    ("文化体育", "排练", "练习 彩排", "场地 广场舞"),
    ("文化体育", "广场舞", "舞蹈队 跳舞 舞蹈", "排练"),
    ("文化体育", "健身", "锻炼 运动 球场 篮球 乒乓球 太极拳 健身器材", ""),
    ("文化体育", "图书", "读书 阅读 书籍 图书室 读书会 借书", ""),
    ("文化体育", "会议", "开会 大会 会议室 代表大会", "场地"),
    # 环境整治
    ("环境整治", "楼道堆物", "堆物 杂物 乱堆 乱放杂物 纸箱 旧家具 大件垃圾 楼道清理", ""),
    ("环境整治", "垃圾分类", "分类投放 厨余 厨余垃圾 桶前值守 垃圾桶 垃圾站 乱扔", ""),
    ("环境整治", "绿化", "补种 补植 苗木 树木 草坪 种树 绿地 植树 裸露", ""),
    ("环境整治", "卫生死角", "脏乱 脏乱差 环境卫生", ""),
    ("环境整治", "小广告", "乱贴 乱涂 牛皮癣", ""),
    # 交通停车
    ("交通停车", "停车位", "车位 停车场 停车 停车难 泊位", "错时停车"),
    ("交通停车", "错时停车", "错时 夜间停车 共享车位 夜间开放", "停车位"),
    ("交通停车", "非机动车", "共享单车 单车 自行车 乱停乱放", ""),
    ("交通停车", "交通疏导", "疏导 文明引导 引导员 维持秩序 交通秩序", ""),
    # 就业创业
    ("就业创业", "就业", "找工作 工作 岗位 上班 活儿 找活 招工 用工 就业岗位", "招聘会"),
    ("就业创业", "招聘会", "招聘 双选会 专场招聘", "就业"),
    ("就业创业", "技能培训", "职业培训 学手艺 手艺 技术培训 证书", "就业"),
    ("就业创业", "育婴师", "月嫂 育儿嫂 保姆 带孩子 家政服务员 家政", "技能培训"),
    ("就业创业", "失业人员", "失业 下岗 待业 无业", ""),
    ("就业创业", "灵活就业", "时间灵活 零工 兼职 钟点工", "就业"),
    # 平安建设
    ("平安建设", "电动自行车", "电动车 电瓶车 飞线充电 充电", "消防安全"),
    ("平安建设", "消防安全", "消防 火灾 着火 失火 灭火 灭火器 防火 消防通道", ""),
    ("平安建设", "防诈骗", "反诈 防骗 诈骗 骗局 被骗 骗了 电信诈骗", ""),
    ("平安建设", "民警", "警察 派出所 公安 片警", ""),
    ("平安建设", "治安巡逻", "巡逻 治安 平安志愿者", ""),
    ("平安建设", "监控", "摄像头 监控探头 技防", ""),
    # 法律服务
    ("法律服务", "欠薪", "拖欠工资 欠工资 工钱 讨薪 工资 劳动报酬 讨要工资", "劳动争议"),
    ("法律服务", "劳动争议", "劳动仲裁 劳动纠纷 工伤 劳动合同", "欠薪 诉讼"),
    ("法律服务", "诉讼", "打官司 起诉 官司 法院", "仲裁 法律援助"),
    ("法律服务", "仲裁", "申请仲裁", "劳动争议 诉讼"),
    ("法律服务", "法律援助", "法援 免费律师 援助律师", ""),
    ("法律服务", "调解", "评理 评评理 说和 劝和 人民调解 纠纷调解 矛盾调解", "邻里纠纷"),
    ("法律服务", "邻里纠纷", "邻居矛盾 邻里矛盾 吵架 噪音", "调解"),
    ("法律服务", "物业纠纷", "物业费 物业矛盾", ""),
    ("法律服务", "遗嘱", "立遗嘱 遗产 继承 分家产", "公证"),
    ("法律服务", "公证", "公证处 办公证", "遗嘱"),
    # 房屋修缮
    ("房屋修缮", "屋顶漏雨", "漏雨 渗水 屋面防水 防水 房顶漏水 顶楼漏水", ""),
    ("房屋修缮", "加装电梯", "装电梯 电梯 爬楼", ""),
    ("房屋修缮", "下水道疏通", "下水道 通下水 管道堵塞 疏通 下水 堵了", ""),
    ("房屋修缮", "水电维修", "修水龙头 换灯泡 水电 维修 修理", ""),
    ("房屋修缮", "老旧小区", "老楼 老房子 老旧楼房 筒子楼", ""),
    # 企业服务
    ("企业服务", "融资", "贷款 借款 周转 资金周转 信用贷款 小额贷款 贷点款", ""),
    ("企业服务", "惠企政策", "扶持政策 优惠政策 补贴政策 稳岗补贴 稳岗 减税 减税降费", ""),
    ("企业服务", "个体工商户", "个体户 商户 小店 底商 小商户 店主 老板", ""),
    # 其他（微心愿）
    ("其他", "微心愿", "心愿 愿望", ""),
    ("其他", "收音机", "听戏 听广播 广播", ""),
    ("其他", "学习用品", "文具 书包 课外读物 本子", ""),
]
# fmt: on
# Entries naming who a need is for rather than what is needed.
TARGET_HEADWORDS = frozenset(
    ["老年人", "独居老人", "空巢老人", "失能老人", "儿童", "困难家庭", "失业人员", "个体工商户"]
)


@dataclass
class ThesaurusData:
    headword: str
    synonyms: str = ""
    related: str = ""
    category: Category | int | str | None = None
    is_target: bool = False
    is_active: bool = True


def words_of(value: str) -> list[str]:
    return [w for w in SEPARATORS.split(value or "") if w]


def thesaurus_for(user) -> QuerySet[ThesaurusEntry]:
    """The entries a user reads: their tenant's, everyone in it alike (fails closed)."""
    return ThesaurusEntry.objects.visible_to(user).select_related("category")


def thesaurus_ensure_defaults(tenant: Tenant) -> int:
    """Give a tenant the default entries it lacks (by headword); returns how many were added.
    A default entry whose category the tenant does not have holds for every category."""
    categories = dict(Category.objects.filter(tenant=tenant).values_list("name", "pk"))
    existing = set(ThesaurusEntry.objects.filter(tenant=tenant).values_list("headword", flat=True))
    used = set()
    for synonyms in ThesaurusEntry.objects.filter(tenant=tenant).values_list("synonyms", flat=True):
        used.update(synonyms.split())
    rows = []
    for category, headword, synonyms, related in DEFAULT_THESAURUS:
        if headword in existing or headword in used:
            continue
        rows.append(
            ThesaurusEntry(
                tenant=tenant,
                category_id=categories.get(category),
                headword=headword,
                synonyms=" ".join(w for w in words_of(synonyms) if w not in existing),
                related=" ".join(words_of(related)),
                is_target=headword in TARGET_HEADWORDS,
            )
        )
    ThesaurusEntry.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _clean(*, tenant_id: int, data: ThesaurusData, exclude_id: int | None) -> dict:
    errors = Errors()
    headword = (data.headword or "").strip()
    synonyms, related = words_of(data.synonyms), words_of(data.related)
    if not headword:
        errors.add("headword", _("请填写词条。"))
    elif len(headword) < 2 or len(headword) > MAX_WORD or SEPARATORS.search(headword):
        errors.add("headword", _("词条应为2至%(n)d个字的一个词。") % {"n": MAX_WORD})
    for name, words in (("synonyms", synonyms), ("related", related)):
        long = [w for w in words if len(w) < 2 or len(w) > MAX_WORD]
        if long:
            errors.add(
                name,
                _("每个词应为2至%(n)d个字：%(words)s") % {"n": MAX_WORD, "words": "、".join(long)},
            )
        if len(words) > MAX_WORDS:
            errors.add(name, _("最多%(n)d个词。") % {"n": MAX_WORDS})
    others = ThesaurusEntry.objects.filter(tenant_id=tenant_id)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if headword and others.filter(headword=headword).exists():
        errors.add("headword", _("已有词条“%(w)s”。") % {"w": headword})
    taken = {}
    for other, words in others.values_list("headword", "synonyms"):
        for word in [other, *words.split()]:
            taken[word] = other
    if headword in taken and "headword" not in errors.by_field:
        errors.add(
            "headword", _("“%(w)s”已在词条“%(o)s”中。") % {"w": headword, "o": taken[headword]}
        )
    clash = [f"{w}（{taken[w]}）" for w in dict.fromkeys(synonyms) if w in taken]
    if clash:
        errors.add(
            "synonyms",
            _("这些词已在其他词条中，一个词只能属于一个词条：%(words)s")
            % {"words": "、".join(clash)},
        )
    category = data.category
    if category not in (None, ""):
        category_id = category.pk if isinstance(category, Category) else category
        category = Category.objects.filter(tenant_id=tenant_id, pk=category_id).first()
        if category is None:
            errors.add("category", _("未知的需求类别。"))
    else:
        category = None
    errors.raise_if_any()
    return {
        "headword": headword,
        "synonyms": " ".join(w for w in dict.fromkeys(synonyms) if w != headword),
        "related": " ".join(w for w in dict.fromkeys(related) if w != headword),
        "category": category,
        "is_target": bool(data.is_target),
        "is_active": bool(data.is_active),
    }


def _ensure_editor(actor, tenant_id: int) -> None:
    if not may_edit_categories(actor) or actor.tenant_id != tenant_id:
        raise PermissionDenied


@transaction.atomic
def thesaurus_entry_create(*, actor, tenant: Tenant, data: ThesaurusData) -> ThesaurusEntry:
    """A tenant administrator adds a word and the words meaning the same on the lists."""
    _ensure_editor(actor, tenant.pk)
    values = _clean(tenant_id=tenant.pk, data=data, exclude_id=None)
    try:
        with transaction.atomic():
            return ThesaurusEntry.objects.create(tenant=tenant, **values)
    except IntegrityError:
        raise ValidationError(
            {"headword": _("已有词条“%(w)s”。") % {"w": values["headword"]}}
        ) from None


@transaction.atomic
def thesaurus_entry_update(*, actor, entry: ThesaurusEntry, data: ThesaurusData) -> ThesaurusEntry:
    _ensure_editor(actor, entry.tenant_id)
    entry = ThesaurusEntry.objects.select_for_update().get(pk=entry.pk)
    values = _clean(tenant_id=entry.tenant_id, data=data, exclude_id=entry.pk)
    for name, value in values.items():
        setattr(entry, name, value)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise ValidationError(
            {"headword": _("已有词条“%(w)s”。") % {"w": values["headword"]}}
        ) from None
    return entry


@transaction.atomic
def thesaurus_entry_delete(*, actor, entry: ThesaurusEntry) -> None:
    _ensure_editor(actor, entry.tenant_id)
    ThesaurusEntry.objects.filter(pk=entry.pk).delete()


@transaction.atomic
def thesaurus_restore_defaults(*, actor, tenant: Tenant) -> int:
    """Add back the default entries the tenant lacks (a deleted default comes back; edited
    entries stay as they are)."""
    _ensure_editor(actor, tenant.pk)
    return thesaurus_ensure_defaults(tenant)
