"""Common Chinese surnames and given names with their pinyin, for demo and benchmark people."""

from __future__ import annotations

import random

SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"),
    ("梁", "liang"), ("郑", "zheng"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"),
)  # fmt: skip

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("婷", "ting"),
    ("宇", "yu"), ("浩", "hao"), ("鑫", "xin"), ("琳", "lin"), ("斌", "bin"),
    ("秀英", "xiuying"), ("桂英", "guiying"), ("建华", "jianhua"), ("晓东", "xiaodong"),
    ("海燕", "haiyan"), ("志强", "zhiqiang"), ("欣怡", "xinyi"), ("子涵", "zihan"),
    ("雨萱", "yuxuan"), ("浩然", "haoran"), ("俊杰", "junjie"), ("思远", "siyuan"),
    ("晨曦", "chenxi"), ("嘉怡", "jiayi"), ("文博", "wenbo"), ("佳琪", "jiaqi"),
    ("明轩", "mingxuan"), ("诗涵", "shihan"), ("国栋", "guodong"), ("玉兰", "yulan"),
    ("春梅", "chunmei"), ("立新", "lixin"), ("红霞", "hongxia"), ("建军", "jianjun"),
    ("丹", "dan"), ("凯", "kai"), ("阳", "yang"), ("倩", "qian"), ("帆", "fan"),
)  # fmt: skip


def random_person_name(rng: random.Random) -> tuple[str, str]:
    """A (Chinese name, pinyin) pair drawn from the pools with the given generator."""
    surname, surname_py = rng.choice(SURNAMES)
    given, given_py = rng.choice(GIVEN_NAMES)
    return surname + given, surname_py + given_py
