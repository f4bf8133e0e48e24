"""The one table of Wangsu/CDNetworks ISP and province names: Chinese name -> stable code.

The ISP x province reports print ISP and province names in the language of the request's
`Accept-Language` (reference §5.6; SDK `province` field docs): `zh-CN` (the default) gives
Chinese names (中国电信, 北京), `en-US` gives codes (pinyin province codes such as
`beijing`). The exporter asks for `en-US` on every request (`provider.build_request`),
but an answer may still carry Chinese names (an account or route that ignores the
header), so the walker maps them here; a label is then the same code whichever language
the answer came in. A name not in the table passes through unchanged.

[?] Wangsu's en-US ISP code list is unpublished ("API overview appendix"): the three large
carriers use the codes the emulator uses (Volcengine's ISPList spellings `telecom`,
`unicom`, `mobile`); the smaller ISPs' codes are our choice. Province codes are the
pinyin the SDK documents (`beijing`, `shanghai`), with `shaanxi` for 陕西 beside `shanxi`
for 山西 and the usual short forms for the autonomous regions.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ISP_CODES: Mapping[str, str] = MappingProxyType(
    {
        "中国电信": "telecom",
        "中国联通": "unicom",
        "中国移动": "mobile",
        "中国铁通": "tietong",
        "中国教育网": "cernet",
        "中国广电": "cbn",
        "长城宽带": "gwbn",
        "E家宽": "ejiakuan",
        "其它": "other",
        "其他": "other",
        # [?] The label of an ISP dimension left out of groupBy is undocumented; the
        # emulator prints 全部 / all.
        "全部": "all",
    }
)
"""ISP names a zh-CN answer may carry, with the code an en-US answer carries instead."""

PROVINCE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "北京": "beijing",
        "天津": "tianjin",
        "河北": "hebei",
        "山西": "shanxi",
        "内蒙古": "neimenggu",
        "辽宁": "liaoning",
        "吉林": "jilin",
        "黑龙江": "heilongjiang",
        "上海": "shanghai",
        "江苏": "jiangsu",
        "浙江": "zhejiang",
        "安徽": "anhui",
        "福建": "fujian",
        "江西": "jiangxi",
        "山东": "shandong",
        "河南": "henan",
        "湖北": "hubei",
        "湖南": "hunan",
        "广东": "guangdong",
        "广西": "guangxi",
        "海南": "hainan",
        "重庆": "chongqing",
        "四川": "sichuan",
        "贵州": "guizhou",
        "云南": "yunnan",
        "西藏": "xizang",
        "陕西": "shaanxi",
        "甘肃": "gansu",
        "青海": "qinghai",
        "宁夏": "ningxia",
        "新疆": "xinjiang",
        "台湾": "taiwan",
        "香港": "xianggang",
        "澳门": "aomen",
        "其它": "other",
        "其他": "other",
        "全部": "all",  # [?] as for ISPs
    }
)
"""Province names a zh-CN answer may carry, with the code an en-US answer carries."""


def isp_code(name: str) -> str:
    """The stable code of an ISP name; unknown names (codes included) unchanged."""
    return ISP_CODES.get(name, name)


def province_code(name: str) -> str:
    """The stable code of a province name; unknown names (codes included) unchanged."""
    return PROVINCE_CODES.get(name, name)
