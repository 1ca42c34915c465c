"""The narrative sections of the 自评报告, in the order and with the headings of the seed report.

The figures inside the report (amounts, rates, the score) are not typed into these texts: the
report template writes them from the evaluation's data, so report and table never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    chapter: str  # 一、基本情况 …
    heading: str  # （一）部门概况 …
    title: str  # short label for forms
    help: str = ""
    required: bool = True


CHAPTER_1 = "一、基本情况"
CHAPTER_2 = "二、综合评价分析"
CHAPTER_3 = "三、存在的主要问题"
CHAPTER_4 = "四、下一步改进措施"

SECTIONS: tuple[Section, ...] = (
    Section("overview", CHAPTER_1, "（一）部门概况", "部门概况", "单位性质与职能定位。"),
    Section("duties", CHAPTER_1, "（一）部门概况", "主要职责", "逐条列出主要职责。"),
    Section(
        "organization",
        CHAPTER_1,
        "（一）部门概况",
        "机构设置",
        "内设机构、下属单位的说明。机构数与编制数由“人员编制”一栏生成，无需在此重复。",
        required=False,
    ),
    Section(
        "annual_work", CHAPTER_1, "（二）年度总体工作和重点工作任务", "年度总体工作和重点工作任务"
    ),
    Section(
        "finance_summary",
        CHAPTER_1,
        "（三）部门整体收支情况",
        "部门整体收支情况（说明）",
        "收支金额与完成率由系统按收支数据生成，此处仅填写说明文字。",
        required=False,
    ),
    Section(
        "performance_management", CHAPTER_1, "（四）部门整体绩效管理情况", "部门整体绩效管理情况"
    ),
    Section(
        "conclusion",
        CHAPTER_2,
        "（一）自评结论综述",
        "自评结论综述",
        "自评得分由系统生成；此处填写绩效目标完成情况的综述。",
    ),
    Section(
        "analysis_budget_preparation",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "1、预算编制管理",
    ),
    Section(
        "analysis_expenditure",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "2、支出执行管理",
    ),
    Section(
        "analysis_disclosure",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "3、预决算公开执行情况",
    ),
    Section(
        "analysis_procurement",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "4、采购管理情况",
    ),
    Section(
        "analysis_assets", CHAPTER_2, "（二）各项工作任务绩效目标完成情况分析", "5、资产管理方面"
    ),
    Section(
        "analysis_performance_goals",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "6、绩效管理方面：①绩效目标设置情况",
    ),
    Section(
        "analysis_performance_monitoring",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "6、绩效管理方面：②绩效监督管理运行情况",
    ),
    Section(
        "analysis_duty",
        CHAPTER_2,
        "（二）各项工作任务绩效目标完成情况分析",
        "7、部门履职绩效完成情况",
    ),
    Section("achievements", CHAPTER_2, "（三）主要工作成效", "主要工作成效"),
    Section("problems", CHAPTER_3, "", "存在的主要问题"),
    Section("improvements", CHAPTER_4, "", "下一步改进措施"),
)

BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}
