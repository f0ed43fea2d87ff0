"""The four demo companies, recreated from the customer articles in the project's seeds.

Each company is plain data: departments, positions, work locations, tags, custom
fields, the named people of the stories, and groups of colleagues whose names are
drawn deterministically. ``jixiao.demo.builder`` turns them into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jixiao.core.models import Role
from jixiao.org.models import (
    CustomField,
    EmployeeStatus,
    EmploymentType,
    JobFamily,
    WorkingHourSystem,
)

DEMO_PASSWORD = "jixiao-demo"  # noqa: S105 -- a published demo password, by design
"""The one password of every demo login, printed by ``manage.py demo_load``."""

EMAIL_DOMAIN = "demo"

HOURS_STANDARD = WorkingHourSystem.STANDARD.value
HOURS_FLEXIBLE = WorkingHourSystem.FLEXIBLE.value
HOURS_SHIFT = WorkingHourSystem.SHIFT.value
HOURS_COMPREHENSIVE = WorkingHourSystem.COMPREHENSIVE.value
HOURS_UNFIXED = WorkingHourSystem.UNFIXED.value


@dataclass(frozen=True)
class LocationSpec:
    name: str
    country: str
    city: str
    time_zone: str
    address: str = ""


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    code: str
    parent: str | None = None
    """Name of the parent department; ``None`` only for the company's root."""


@dataclass(frozen=True)
class CustomFieldSpec:
    code: str
    label: str
    field_type: str = CustomField.Type.TEXT.value
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonSpec:
    """A named person of the company's story; ``handle`` is the login's pinyin."""

    handle: str
    name: str
    role: str
    department: str
    position: str
    salary: int
    hired: str
    location: str = ""
    heads: bool = False
    """Heads their department (and is the default manager of its members)."""
    manager: str = ""
    """Handle of the direct manager when it is not the department's head."""
    hours: str = HOURS_STANDARD
    tags: tuple[str, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)
    english_name: str = ""
    employment_type: str = EmploymentType.FULL_TIME.value
    status: str = EmployeeStatus.ACTIVE.value
    note: str = ""
    """One line of the person's story, printed in the login table."""


@dataclass(frozen=True)
class GroupSpec:
    """``count`` colleagues in one department and position, names drawn from the pools."""

    department: str
    position: str
    count: int
    salary: tuple[int, int]
    hired_years: tuple[int, int] = (2016, 2024)
    locations: tuple[str, ...] = ()
    hours: str = HOURS_STANDARD
    tags: tuple[str, ...] = ()
    custom: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """Per field code, the values to cycle through."""
    veteran_share: float = 0.0
    """Share of the group that gets the company's veteran tag (hired before 2019)."""


@dataclass(frozen=True)
class CompanySpec:
    slug: str
    name: str
    industry: str
    city: str
    number_prefix: str
    locations: tuple[LocationSpec, ...]
    departments: tuple[DepartmentSpec, ...]
    positions: tuple[tuple[str, str], ...]
    """(name, job family) pairs."""
    tags: tuple[str, ...]
    custom_fields: tuple[CustomFieldSpec, ...]
    people: tuple[PersonSpec, ...]
    groups: tuple[GroupSpec, ...] = ()
    story: str = ""

    @property
    def email_domain(self) -> str:
        return f"{self.slug}.{EMAIL_DOMAIN}"


HR, EXEC, MANAGER, EMPLOYEE = Role.HR_ADMIN, Role.EXECUTIVE, Role.MANAGER, Role.EMPLOYEE
SALES, OFFICE, FIELD = JobFamily.SALES.value, JobFamily.OFFICE.value, JobFamily.FIELD.value
RD, OPS, PROD = JobFamily.RD.value, JobFamily.OPERATIONS.value, JobFamily.PRODUCTION.value
PROBATION = EmployeeStatus.PROBATION.value

VETERAN = "老员工"
LANGUAGES = CustomFieldSpec("languages", "语种")
CUSTOMER_TIER = CustomFieldSpec(
    "customer_tier", "客户等级", CustomField.Type.CHOICE.value, ("A", "B", "C")
)

# --- seed 000: the 20-person foreign-trade company, 80% veterans ---------------------------
HAIXING = CompanySpec(
    slug="haixing",
    name="海星外贸",
    industry="服装出口（欧洲客户）",
    city="宁波",
    number_prefix="HX",
    story="20 人外贸公司，80% 是跟着老板打天下的老员工；用数据说话，不伤感情。",
    locations=(LocationSpec("宁波总部", "CN", "宁波", "Asia/Shanghai", "鄞州区天童南路 588 号"),),
    departments=(
        DepartmentSpec("海星外贸", "HX"),
        DepartmentSpec("总经办", "HX-GM", "海星外贸"),
        DepartmentSpec("销售部", "HX-SALES", "海星外贸"),
        DepartmentSpec("运营部", "HX-OPS", "海星外贸"),
        DepartmentSpec("单证部", "HX-DOCS", "海星外贸"),
    ),
    positions=(
        ("总经理", OFFICE),
        ("行政人事专员", OFFICE),
        ("会计", OFFICE),
        ("销售经理", SALES),
        ("老客户维护主管", SALES),
        ("资深外贸业务员", SALES),
        ("外贸业务员", SALES),
        ("运营主管", OPS),
        ("跨境电商运营", OPS),
        ("跟单员", OPS),
        ("采购专员", OPS),
        ("单证主管", OFFICE),
        ("单证员", OFFICE),
    ),
    tags=(VETERAN, "新员工", "带教师傅"),
    custom_fields=(
        LANGUAGES,
        CUSTOMER_TIER,
        CustomFieldSpec("market", "负责市场"),
        CustomFieldSpec("customer_time_zone", "客户时区"),
    ),
    people=(
        PersonSpec("zhouhaixing", "周海星", EXEC, "总经办", "总经理", 30000, "2015-04-01",
                   heads=True, tags=(VETERAN,), note="老板：怕做绩效伤了元老的感情"),
        PersonSpec("chenjing", "陈静", HR, "总经办", "行政人事专员", 8500, "2016-03-01",
                   tags=(VETERAN,), note="HR：把考勤和 CRM 数据接进绩效"),
        PersonSpec("wuhong", "吴红", EMPLOYEE, "总经办", "会计", 8000, "2016-08-15",
                   tags=(VETERAN,)),
        PersonSpec("zhaoguohua", "赵国华", MANAGER, "销售部", "销售经理", 18000, "2015-05-10",
                   heads=True, hours=HOURS_FLEXIBLE, tags=(VETERAN,),
                   custom={"languages": "英语", "market": "欧洲"},
                   note="销售部经理：每月 10 日用系统数据做绩效面谈"),
        PersonSpec("wangjie", "王秀兰", EMPLOYEE, "销售部", "老客户维护主管", 14000, "2015-06-01",
                   hours=HOURS_FLEXIBLE, tags=(VETERAN, "带教师傅"),
                   custom={"languages": "英语、法语", "customer_tier": "A", "market": "法国、比利时"},
                   note="王姐：老客户复购率 ≥85%，带教小李"),
        PersonSpec("lige", "李建国", EMPLOYEE, "销售部", "资深外贸业务员", 13000, "2015-07-20",
                   hours=HOURS_FLEXIBLE, tags=(VETERAN,),
                   custom={"languages": "德语、英语", "customer_tier": "A", "market": "德国",
                           "customer_time_zone": "Europe/Berlin"},
                   note="李哥：每晚 23:00 给德国客户打电话（人在上海时区）"),
        PersonSpec("zhangjie", "张丽华", EMPLOYEE, "销售部", "资深外贸业务员", 12000, "2016-02-15",
                   hours=HOURS_FLEXIBLE, tags=(VETERAN,),
                   custom={"languages": "英语、意大利语", "customer_tier": "B", "market": "意大利"},
                   note="张姐：学会了每天查自己的客户复购率"),
        PersonSpec("xiaoli", "李晓雨", EMPLOYEE, "销售部", "外贸业务员", 7000, "2024-03-04",
                   hours=HOURS_FLEXIBLE, tags=("新员工",), manager="wangjie",
                   custom={"languages": "英语", "customer_tier": "C", "market": "西班牙"},
                   note="小李：王姐带的新人，业绩转化率 85%"),
        PersonSpec("sunwei", "孙伟", MANAGER, "运营部", "运营主管", 13000, "2015-09-01",
                   heads=True, tags=(VETERAN,), note="运营部主管：正在拓展跨境电商"),
        PersonSpec("liufang", "刘芳", MANAGER, "单证部", "单证主管", 10000, "2015-11-01",
                   heads=True, tags=(VETERAN,), custom={"languages": "英语"},
                   note="单证部主管"),
    ),
    groups=(
        GroupSpec("销售部", "资深外贸业务员", 3, (10000, 13000), (2015, 2018),
                  hours=HOURS_FLEXIBLE, veteran_share=1.0,
                  custom={"languages": ("英语、西班牙语", "英语", "英语、荷兰语"),
                          "customer_tier": ("A", "B"), "market": ("荷兰", "英国", "北欧")}),
        GroupSpec("销售部", "外贸业务员", 1, (6500, 7500), (2023, 2024),
                  hours=HOURS_FLEXIBLE, tags=("新员工",),
                  custom={"languages": ("英语",), "customer_tier": ("C",), "market": ("东欧",)}),
        GroupSpec("运营部", "跟单员", 2, (7000, 8500), (2015, 2018), veteran_share=1.0),
        GroupSpec("运营部", "采购专员", 1, (7500, 8500), (2016, 2018), veteran_share=1.0),
        GroupSpec("运营部", "跨境电商运营", 1, (8000, 9000), (2023, 2023), tags=("新员工",)),
        GroupSpec("单证部", "单证员", 2, (6000, 7000), (2016, 2024), veteran_share=0.5),
    ),
)  # fmt: skip

# --- seed 002: the car-parts manufacturer with 15 people posted abroad ---------------------
POSTED = "驻外"
HUARUI_ABROAD = (
    "斯图加特办事处",
    "克雷塔罗办事处",
    "胡志明市办事处",
    "利雅得办事处",
    "拉各斯办事处",
)
HUARUI = CompanySpec(
    slug="huarui",
    name="华锐汽车零部件",
    industry="汽车零部件制造（海外业务占 35%）",
    city="常州",
    number_prefix="HR",
    story="15 名驻外员工分散在五个时区，海外领导只说“你看着办”；工厂倒班。",
    locations=(
        LocationSpec("常州工厂", "CN", "常州", "Asia/Shanghai", "武进高新区龙惠路 18 号"),
        LocationSpec("斯图加特办事处", "DE", "Stuttgart", "Europe/Berlin"),
        LocationSpec("克雷塔罗办事处", "MX", "Querétaro", "America/Mexico_City"),
        LocationSpec("胡志明市办事处", "VN", "Ho Chi Minh City", "Asia/Ho_Chi_Minh"),
        LocationSpec("利雅得办事处", "SA", "Riyadh", "Asia/Riyadh"),
        LocationSpec("拉各斯办事处", "NG", "Lagos", "Africa/Lagos"),
    ),
    departments=(
        DepartmentSpec("华锐汽车零部件", "HR"),
        DepartmentSpec("总经办", "HR-GM", "华锐汽车零部件"),
        DepartmentSpec("人力资源部", "HR-HR", "华锐汽车零部件"),
        DepartmentSpec("海外业务部", "HR-INTL", "华锐汽车零部件"),
        DepartmentSpec("欧洲区", "HR-INTL-EU", "海外业务部"),
        DepartmentSpec("美洲区", "HR-INTL-AM", "海外业务部"),
        DepartmentSpec("东南亚区", "HR-INTL-SEA", "海外业务部"),
        DepartmentSpec("中东非洲区", "HR-INTL-MEA", "海外业务部"),
        DepartmentSpec("生产部", "HR-PROD", "华锐汽车零部件"),
        DepartmentSpec("冲压车间", "HR-PROD-STAMP", "生产部"),
        DepartmentSpec("装配车间", "HR-PROD-ASSY", "生产部"),
        DepartmentSpec("质量部", "HR-QA", "华锐汽车零部件"),
        DepartmentSpec("仓储物流部", "HR-LOG", "华锐汽车零部件"),
    ),
    positions=(
        ("总经理", OFFICE),
        ("HR经理", OFFICE),
        ("海外业务总监", SALES),
        ("区域销售经理", SALES),
        ("驻外销售代表", SALES),
        ("驻外技术支持工程师", FIELD),
        ("海外供应链协调员", OPS),
        ("生产经理", PROD),
        ("班组长", PROD),
        ("冲压工", PROD),
        ("装配工", PROD),
        ("质检员", PROD),
        ("仓管员", OPS),
    ),
    tags=(POSTED, "倒班", "班组长", "老员工"),
    custom_fields=(
        LANGUAGES,
        CustomFieldSpec("posted_country", "驻外国家"),
        CUSTOMER_TIER,
        CustomFieldSpec("shift_team", "班组", CustomField.Type.CHOICE.value, ("甲班", "乙班", "丙班")),
    ),
    people=(
        PersonSpec("qianyongkang", "钱永康", EXEC, "总经办", "总经理", 45000, "2009-06-01",
                   heads=True, tags=("老员工",), note="总经理：海外收入要增长 20%"),
        PersonSpec("sunli", "孙丽", HR, "人力资源部", "HR经理", 15000, "2018-03-12",
                   heads=True, note="HR：要给驻外员工定 KPI，领导说“你看着办”"),
        PersonSpec("zhengzhigang", "郑志刚", MANAGER, "海外业务部", "海外业务总监", 35000,
                   "2012-04-01", heads=True, custom={"languages": "英语"},
                   note="海外业务总监：坐镇总部，管 15 名驻外员工"),
        PersonSpec("huangkai", "黄凯", MANAGER, "欧洲区", "区域销售经理", 32000, "2014-08-18",
                   heads=True, location="斯图加特办事处", tags=(POSTED,),
                   custom={"languages": "德语、英语", "posted_country": "德国", "customer_tier": "A"},
                   note="驻德国：柏林时间上班，带欧洲区"),
        PersonSpec("linna", "林娜", MANAGER, "美洲区", "区域销售经理", 30000, "2016-05-09",
                   heads=True, location="克雷塔罗办事处", tags=(POSTED,),
                   custom={"languages": "西班牙语、英语", "posted_country": "墨西哥",
                           "customer_tier": "A"},
                   note="驻墨西哥：比北京慢 14 小时"),
        PersonSpec("chenhao", "陈浩", MANAGER, "东南亚区", "区域销售经理", 26000, "2017-02-20",
                   heads=True, location="胡志明市办事处", tags=(POSTED,),
                   custom={"languages": "越南语、英语", "posted_country": "越南",
                           "customer_tier": "B"},
                   note="驻越南：上午拜访客户工厂，下午跑展会"),
        PersonSpec("majun", "马军", MANAGER, "中东非洲区", "区域销售经理", 30000, "2015-10-08",
                   heads=True, location="利雅得办事处", tags=(POSTED,),
                   custom={"languages": "阿拉伯语、英语", "posted_country": "沙特阿拉伯",
                           "customer_tier": "B"},
                   note="驻沙特：周日到周四上班"),
        PersonSpec("heyong", "何勇", EMPLOYEE, "中东非洲区", "驻外销售代表", 22000, "2019-07-01",
                   location="拉各斯办事处", tags=(POSTED,),
                   custom={"languages": "英语", "posted_country": "尼日利亚", "customer_tier": "C"},
                   note="驻尼日利亚：新客户开发 ≥2 个/月"),
        PersonSpec("yangfan", "杨帆", MANAGER, "生产部", "生产经理", 18000, "2011-03-01",
                   heads=True, hours=HOURS_COMPREHENSIVE, tags=("老员工",),
                   note="生产经理：三班倒的两个车间"),
        PersonSpec("zhoujianjun", "周建军", MANAGER, "冲压车间", "班组长", 9500, "2013-09-01",
                   heads=True, hours=HOURS_SHIFT, tags=("倒班", "班组长", "老员工"),
                   custom={"shift_team": "甲班"}, note="冲压车间班组长"),
        PersonSpec("xuhongxia", "徐红霞", MANAGER, "装配车间", "班组长", 9000, "2014-04-01",
                   heads=True, hours=HOURS_SHIFT, tags=("倒班", "班组长", "老员工"),
                   custom={"shift_team": "乙班"}, note="装配车间班组长"),
        PersonSpec("caodan", "曹丹", EMPLOYEE, "装配车间", "装配工", 6500, "2021-05-10",
                   hours=HOURS_SHIFT, tags=("倒班",), custom={"shift_team": "丙班"},
                   note="装配工：早中夜三班轮换"),
    ),
    groups=(
        GroupSpec("欧洲区", "驻外销售代表", 2, (24000, 28000), (2017, 2022),
                  locations=("斯图加特办事处",), tags=(POSTED,),
                  custom={"languages": ("德语、英语", "英语"), "posted_country": ("德国",),
                          "customer_tier": ("A", "B")}),
        GroupSpec("欧洲区", "驻外技术支持工程师", 1, (25000, 27000), (2018, 2020),
                  locations=("斯图加特办事处",), tags=(POSTED,),
                  custom={"languages": ("德语、英语",), "posted_country": ("德国",)}),
        GroupSpec("美洲区", "驻外销售代表", 2, (22000, 26000), (2018, 2023),
                  locations=("克雷塔罗办事处",), tags=(POSTED,),
                  custom={"languages": ("西班牙语、英语",), "posted_country": ("墨西哥",),
                          "customer_tier": ("B", "C")}),
        GroupSpec("东南亚区", "驻外销售代表", 2, (18000, 22000), (2019, 2023),
                  locations=("胡志明市办事处",), tags=(POSTED,),
                  custom={"languages": ("越南语、英语", "英语"), "posted_country": ("越南",),
                          "customer_tier": ("B", "C")}),
        GroupSpec("东南亚区", "海外供应链协调员", 2, (16000, 19000), (2019, 2022),
                  locations=("胡志明市办事处",), tags=(POSTED,),
                  custom={"languages": ("英语",), "posted_country": ("越南",)}),
        GroupSpec("中东非洲区", "驻外技术支持工程师", 1, (24000, 26000), (2020, 2022),
                  locations=("利雅得办事处",), tags=(POSTED,),
                  custom={"languages": ("阿拉伯语、英语",), "posted_country": ("沙特阿拉伯",)}),
        GroupSpec("冲压车间", "冲压工", 8, (5800, 7200), (2012, 2024), hours=HOURS_SHIFT,
                  tags=("倒班",), custom={"shift_team": ("甲班", "乙班", "丙班")},
                  veteran_share=0.3),
        GroupSpec("装配车间", "装配工", 7, (5600, 7000), (2013, 2024), hours=HOURS_SHIFT,
                  tags=("倒班",), custom={"shift_team": ("甲班", "乙班", "丙班")},
                  veteran_share=0.3),
        GroupSpec("质量部", "质检员", 3, (6500, 8500), (2014, 2023), hours=HOURS_SHIFT,
                  tags=("倒班",), custom={"shift_team": ("甲班", "乙班", "丙班")}),
        GroupSpec("仓储物流部", "仓管员", 3, (5500, 6500), (2015, 2023),
                  hours=HOURS_COMPREHENSIVE),
    ),
)  # fmt: skip

# --- seed 003: office staff and field staff ---------------------------------------------------
INSIDE, OUTSIDE = "内勤", "外勤"
LANHE = CompanySpec(
    slug="lanhe",
    name="蓝河环保设备",
    industry="水处理设备销售与服务",
    city="杭州",
    number_prefix="LH",
    story="内勤看准确与时效，外勤看结果也看过程：行为、成果、效率三类指标。",
    locations=(
        LocationSpec("杭州总部", "CN", "杭州", "Asia/Shanghai", "余杭区文一西路 998 号"),
        LocationSpec("南京办事处", "CN", "南京", "Asia/Shanghai"),
        LocationSpec("广州办事处", "CN", "广州", "Asia/Shanghai"),
    ),
    departments=(
        DepartmentSpec("蓝河环保设备", "LH"),
        DepartmentSpec("总经办", "LH-GM", "蓝河环保设备"),
        DepartmentSpec("综合管理部", "LH-ADMIN", "蓝河环保设备"),
        DepartmentSpec("财务部", "LH-FIN", "蓝河环保设备"),
        DepartmentSpec("客服中心", "LH-CS", "蓝河环保设备"),
        DepartmentSpec("销售部", "LH-SALES", "蓝河环保设备"),
        DepartmentSpec("华东区", "LH-SALES-E", "销售部"),
        DepartmentSpec("华南区", "LH-SALES-S", "销售部"),
        DepartmentSpec("售后服务部", "LH-SVC", "蓝河环保设备"),
    ),
    positions=(
        ("总经理", OFFICE),
        ("人事行政经理", OFFICE),
        ("行政专员", OFFICE),
        ("会计", OFFICE),
        ("客服专员", OFFICE),
        ("销售总监", SALES),
        ("区域销售经理", SALES),
        ("销售代表", FIELD),
        ("售后服务经理", FIELD),
        ("售后工程师", FIELD),
    ),
    tags=(INSIDE, OUTSIDE, "新员工"),
    custom_fields=(
        CustomFieldSpec("region", "负责区域"),
        CUSTOMER_TIER,
        CustomFieldSpec("vehicle_plate", "公务车牌号"),
    ),
    people=(
        PersonSpec("songtao", "宋涛", EXEC, "总经办", "总经理", 35000, "2012-05-01", heads=True,
                   tags=(INSIDE,), note="总经理：既要业绩，也要过程"),
        PersonSpec("xiejing", "谢静", HR, "综合管理部", "人事行政经理", 13000, "2016-09-01",
                   heads=True, tags=(INSIDE,), note="HR：内勤、外勤两套考核表"),
        PersonSpec("fengli", "冯丽", MANAGER, "客服中心", "客服专员", 9000, "2017-04-10",
                   heads=True, tags=(INSIDE,), note="客服主管（内勤）：按时效和准确率考核"),
        PersonSpec("pengyu", "彭宇", EMPLOYEE, "客服中心", "客服专员", 6500, "2022-08-01",
                   tags=(INSIDE,), note="客服专员：工单处理时效"),
        PersonSpec("tangjun", "唐军", MANAGER, "销售部", "销售总监", 28000, "2013-03-01",
                   heads=True, hours=HOURS_UNFIXED, tags=(OUTSIDE,),
                   note="销售总监：把年度目标分解到区域和个人"),
        PersonSpec("dengchao", "邓超", MANAGER, "华东区", "区域销售经理", 20000, "2015-06-15",
                   heads=True, location="南京办事处", hours=HOURS_UNFIXED, tags=(OUTSIDE,),
                   custom={"region": "江苏、安徽"}, note="华东区经理（外勤）"),
        PersonSpec("liangxin", "梁鑫", MANAGER, "华南区", "区域销售经理", 19000, "2016-11-01",
                   heads=True, location="广州办事处", hours=HOURS_UNFIXED, tags=(OUTSIDE,),
                   custom={"region": "广东、广西"}, note="华南区经理（外勤）"),
        PersonSpec("gaoyang", "高阳", EMPLOYEE, "华东区", "销售代表", 12000, "2019-02-18",
                   location="南京办事处", hours=HOURS_UNFIXED, tags=(OUTSIDE,),
                   custom={"region": "苏州、无锡", "customer_tier": "A",
                           "vehicle_plate": "苏A·3K527"},
                   note="销售代表：每月拜访客户 ≥15 次"),
        PersonSpec("zengting", "曾婷", MANAGER, "售后服务部", "售后服务经理", 15000, "2014-07-01",
                   heads=True, hours=HOURS_FLEXIBLE, tags=(OUTSIDE,), note="售后服务经理"),
        PersonSpec("yuanbin", "袁斌", EMPLOYEE, "售后服务部", "售后工程师", 10000, "2020-03-02",
                   hours=HOURS_FLEXIBLE, tags=(OUTSIDE,),
                   custom={"region": "浙江", "vehicle_plate": "浙A·D8816"},
                   note="售后工程师：现场服务报告"),
    ),
    groups=(
        GroupSpec("综合管理部", "行政专员", 2, (6000, 7500), (2017, 2023), tags=(INSIDE,)),
        GroupSpec("财务部", "会计", 2, (7500, 9500), (2016, 2022), tags=(INSIDE,)),
        GroupSpec("客服中心", "客服专员", 3, (5800, 7000), (2019, 2024), tags=(INSIDE,)),
        GroupSpec("华东区", "销售代表", 4, (9000, 14000), (2017, 2024),
                  locations=("南京办事处", "杭州总部"), hours=HOURS_UNFIXED, tags=(OUTSIDE,),
                  custom={"region": ("上海", "杭州", "宁波", "南京"),
                          "customer_tier": ("A", "B", "C")}),
        GroupSpec("华南区", "销售代表", 4, (9000, 13000), (2017, 2024),
                  locations=("广州办事处",), hours=HOURS_UNFIXED, tags=(OUTSIDE,),
                  custom={"region": ("广州", "深圳", "佛山", "南宁"),
                          "customer_tier": ("A", "B", "C")}),
        GroupSpec("售后服务部", "售后工程师", 4, (8500, 11000), (2016, 2023),
                  locations=("杭州总部", "南京办事处", "广州办事处"), hours=HOURS_FLEXIBLE,
                  tags=(OUTSIDE,), custom={"region": ("浙江", "江苏", "广东")}),
    ),
)  # fmt: skip

# --- seed 004: the 50-person software company that only rewarded the winner -----------------
YUNFAN = CompanySpec(
    slug="yunfan",
    name="云帆科技",
    industry="软件研发",
    city="深圳",
    number_prefix="YF",
    story="50 人软件公司：从“只奖第一名”到多维考核与分档奖励。",
    locations=(LocationSpec("深圳南山总部", "CN", "深圳", "Asia/Shanghai", "南山区科技园科苑路 15 号"),),
    departments=(
        DepartmentSpec("云帆科技", "YF"),
        DepartmentSpec("总经办", "YF-GM", "云帆科技"),
        DepartmentSpec("职能部", "YF-ADMIN", "云帆科技"),
        DepartmentSpec("销售部", "YF-SALES", "云帆科技"),
        DepartmentSpec("研发部", "YF-RD", "云帆科技"),
        DepartmentSpec("后端组", "YF-RD-BE", "研发部"),
        DepartmentSpec("前端组", "YF-RD-FE", "研发部"),
        DepartmentSpec("测试组", "YF-RD-QA", "研发部"),
        DepartmentSpec("运营部", "YF-OPS", "云帆科技"),
    ),
    positions=(
        ("CEO", OFFICE),
        ("HRBP", OFFICE),
        ("财务专员", OFFICE),
        ("行政专员", OFFICE),
        ("销售经理", SALES),
        ("客户经理", SALES),
        ("研发总监", RD),
        ("技术组长", RD),
        ("后端工程师", RD),
        ("前端工程师", RD),
        ("测试工程师", RD),
        ("运营经理", OPS),
        ("用户运营", OPS),
        ("内容运营", OPS),
    ),
    tags=("核心骨干", "导师", "新人"),
    custom_fields=(
        CustomFieldSpec("level", "职级", CustomField.Type.CHOICE.value,
                        ("P4", "P5", "P6", "P7", "P8")),
        CustomFieldSpec("tech_stack", "技术方向"),
        CUSTOMER_TIER,
    ),
    people=(
        PersonSpec("hejiayi", "何嘉怡", EXEC, "总经办", "CEO", 50000, "2017-01-03", heads=True,
                   note="CEO：以前只奖销售冠军，其他人都躺平了"),
        PersonSpec("luoting", "罗婷", HR, "职能部", "HRBP", 16000, "2019-05-06", heads=True,
                   note="HR：业绩 40% + 协作 30% + 创新 20% + 考勤 10%"),
        PersonSpec("guominghao", "郭明浩", MANAGER, "销售部", "销售经理", 26000, "2018-02-26",
                   heads=True, tags=("导师",), custom={"level": "P7"},
                   note="销售经理：奖励分档，不再只奖冠军"),
        PersonSpec("xuyang", "许洋", EMPLOYEE, "销售部", "客户经理", 15000, "2020-07-13",
                   custom={"level": "P5", "customer_tier": "A"},
                   note="客户经理：客户留存率占 30%"),
        PersonSpec("dengwenbo", "邓文博", MANAGER, "研发部", "研发总监", 45000, "2017-03-01",
                   heads=True, hours=HOURS_FLEXIBLE, tags=("核心骨干",),
                   custom={"level": "P8", "tech_stack": "架构"},
                   note="研发总监：专利和技术文档也算绩效"),
        PersonSpec("zhuhaoran", "朱浩然", MANAGER, "后端组", "技术组长", 35000, "2018-04-16",
                   heads=True, hours=HOURS_FLEXIBLE, tags=("核心骨干", "导师"),
                   custom={"level": "P7", "tech_stack": "Python / Go"}, note="后端组长"),
        PersonSpec("caishihan", "蔡诗涵", MANAGER, "前端组", "技术组长", 33000, "2019-01-07",
                   heads=True, hours=HOURS_FLEXIBLE, tags=("导师",),
                   custom={"level": "P7", "tech_stack": "TypeScript"}, note="前端组长"),
        PersonSpec("tianlei", "田磊", MANAGER, "测试组", "技术组长", 28000, "2019-06-03",
                   heads=True, hours=HOURS_FLEXIBLE, custom={"level": "P6", "tech_stack": "自动化测试"},
                   note="测试组长"),
        PersonSpec("songyuxuan", "宋雨萱", EMPLOYEE, "后端组", "后端工程师", 22000, "2022-07-04",
                   hours=HOURS_FLEXIBLE, custom={"level": "P5", "tech_stack": "Python"},
                   note="后端工程师：代码质量来自 Git 数据"),
        PersonSpec("panyu", "潘宇", MANAGER, "运营部", "运营经理", 22000, "2019-09-02",
                   heads=True, custom={"level": "P6"}, note="运营经理：用户增长从 5% 到 25%"),
        PersonSpec("jiangxin", "蒋欣", EMPLOYEE, "运营部", "用户运营", 11000, "2025-03-03",
                   tags=("新人",), status=PROBATION, custom={"level": "P4"},
                   note="用户运营（试用期）：流程优化建议"),
    ),
    groups=(
        GroupSpec("职能部", "财务专员", 2, (9000, 12000), (2018, 2023)),
        GroupSpec("职能部", "行政专员", 1, (7000, 8000), (2020, 2023)),
        GroupSpec("销售部", "客户经理", 7, (10000, 18000), (2018, 2025),
                  custom={"level": ("P4", "P5", "P6"), "customer_tier": ("A", "B", "C")}),
        GroupSpec("后端组", "后端工程师", 10, (18000, 32000), (2017, 2025), hours=HOURS_FLEXIBLE,
                  custom={"level": ("P5", "P6", "P7"), "tech_stack": ("Python", "Go", "Java")}),
        GroupSpec("前端组", "前端工程师", 8, (16000, 28000), (2018, 2025), hours=HOURS_FLEXIBLE,
                  custom={"level": ("P4", "P5", "P6"), "tech_stack": ("Vue", "React", "小程序")}),
        GroupSpec("测试组", "测试工程师", 5, (13000, 22000), (2019, 2025), hours=HOURS_FLEXIBLE,
                  custom={"level": ("P4", "P5", "P6"), "tech_stack": ("自动化测试", "性能测试")}),
        GroupSpec("运营部", "内容运营", 4, (9000, 13000), (2020, 2025),
                  custom={"level": ("P4", "P5")}),
        GroupSpec("运营部", "用户运营", 2, (9500, 13000), (2021, 2024),
                  custom={"level": ("P4", "P5")}),
    ),
)  # fmt: skip

COMPANIES: tuple[CompanySpec, ...] = (HAIXING, HUARUI, LANHE, YUNFAN)
PLATFORM_ADMIN_USERNAME = "platform-admin"
PLATFORM_ADMIN_EMAIL = "admin@jixiao.demo"
