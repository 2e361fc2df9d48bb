//! Every string of the web UI, in Chinese (the default) and English, keyed by message id.
//!
//! Templates read them as `t.<id>`; the template environment is strict, so a missing id fails a
//! test instead of rendering blank. Codebook values are not here: Chinese labels come from
//! `uplift-domain`, English ones from the codes ([`humanize`]).

use std::collections::BTreeMap;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `zh`, `zh-CN` or `en` (any case); anything else is unknown.
    pub(crate) fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// The value of the `lang` query parameter and cookie.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The `<html lang>` tag.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// The message table: `(id, zh, en)`.
pub(crate) const MESSAGES: &[(&str, &str, &str)] = &[
    ("app_name", "防返贫监测 · Uplift", "防返贫监测 · Uplift"),
    ("switch_language", "English", "中文"),
    ("nav_households", "农户台账", "Households"),
    ("nav_api_docs", "接口文档", "API docs"),
    ("skip_to_content", "跳到正文", "Skip to content"),
    ("households_title", "农户台账", "Household ledger"),
    ("filter_region", "地区", "Region"),
    ("all_regions", "全部地区", "All regions"),
    ("choose_subregion", "选择下级地区…", "Choose a sub-region…"),
    ("filter_type", "户类型", "Household type"),
    ("all_types", "全部类型", "All types"),
    ("filter_search", "查找", "Search"),
    (
        "search_placeholder",
        "户编号、姓名或身份证号",
        "Household no., name or ID number",
    ),
    ("as_of", "截至日期", "As of"),
    ("known_at", "记录截至", "Known at"),
    ("apply", "查询", "Apply"),
    ("reset", "重置", "Reset"),
    ("back_to_now", "回到当前", "Back to now"),
    ("total_households", "共 {n} 户", "{n} households"),
    (
        "page_of",
        "第 {page} / {pages} 页",
        "Page {page} of {pages}",
    ),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    (
        "no_households",
        "没有符合条件的农户。",
        "No households match.",
    ),
    ("col_village", "村", "Village"),
    ("col_head", "户主", "Head"),
    ("col_members", "人数", "Members"),
    (
        "banner_past_as_of",
        "正在查看过去的状态：截至 {date}。",
        "Viewing a past state: as of {date}.",
    ),
    (
        "banner_past_known_at",
        "只显示 {instant} 之前录入的记录。",
        "Only records entered by {instant} are shown.",
    ),
    ("household", "农户", "Household"),
    ("address", "住址", "Address"),
    ("no_address", "未登记住址", "No address recorded"),
    ("members", "家庭成员", "Members"),
    ("no_members", "没有成员记录。", "No members recorded."),
    ("col_age", "年龄", "Age"),
    ("incomes", "家庭收入", "Income"),
    ("no_incomes", "没有收入记录。", "No income recorded."),
    ("policy_pack", "适用政策", "Policy in force"),
    ("monitoring_line", "监测范围", "Monitoring line"),
    ("edge_band_line", "临界线", "Edge of the band"),
    ("per_person_year", "元/人·年", "yuan per person per year"),
    (
        "no_policy",
        "该地区在此日期没有适用的政策，无法计算人均纯收入。",
        "No policy pack is in force here on this date, so per-capita net income is not computed.",
    ),
    (
        "out_of_pocket_deduct",
        "扣除合规自付医疗费用",
        "Compliant out-of-pocket medical costs deducted",
    ),
    (
        "out_of_pocket_judge_beside",
        "合规自付医疗费用另行研判",
        "Compliant out-of-pocket medical costs judged separately",
    ),
    ("col_period", "收入期间", "Period"),
    ("col_gross", "总收入", "Gross"),
    ("col_net", "纯收入", "Net"),
    ("col_members_counted", "计算人数", "Persons"),
    ("col_per_capita_net", "人均纯收入", "Per-capita net"),
    ("col_standing", "对照监测范围", "Against the line"),
    ("standing_below_line", "低于监测范围", "Below the line"),
    (
        "standing_near_line",
        "接近监测范围（1.5倍以内）",
        "Near the line (within 1.5×)",
    ),
    ("standing_above_line", "高于监测范围", "Above the line"),
    ("history", "变更记录", "History"),
    ("no_history", "没有变更记录。", "No history."),
    ("valid_from", "生效日期", "Effective"),
    ("recorded_at", "录入时间", "Recorded"),
    ("actor", "操作人", "By"),
    ("source", "来源", "Source"),
    ("reason", "原因", "Reason"),
    ("cleared", "（已清空）", "(cleared)"),
    ("kind_household", "户信息", "Household"),
    ("kind_person", "成员", "Member"),
    ("kind_income", "收入", "Income"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    ("field_household_no", "户编号", "Household no."),
    ("field_household_type", "户类型", "Type"),
    ("field_region_code", "行政区划代码", "Region code"),
    ("field_address", "住址", "Address"),
    ("field_name", "姓名", "Name"),
    ("field_id_number_masked", "身份证号", "ID number"),
    ("field_relation", "与户主关系", "Relation"),
    ("field_sex", "性别", "Sex"),
    ("field_education", "文化程度", "Education"),
    ("field_schooling", "在校生状况", "Schooling"),
    ("field_health", "健康状况", "Health"),
    ("field_disability_grade", "残疾等级", "Disability grade"),
    ("field_labour", "劳动技能", "Labour"),
    (
        "field_major_illness_insurance",
        "大病保险",
        "Major-illness insurance",
    ),
    ("field_phone_masked", "联系电话", "Phone"),
    ("field_status", "成员状态", "Status"),
    ("field_wage", "工资性收入", "Wages"),
    ("field_business", "经营净收入", "Business"),
    ("field_property", "财产净收入", "Property"),
    ("field_transfer", "转移净收入", "Transfers"),
    (
        "field_production_costs",
        "生产经营性支出",
        "Production costs",
    ),
    (
        "field_compliant_out_of_pocket",
        "合规自付医疗费用",
        "Out-of-pocket medical",
    ),
    ("error_title", "出错了", "Something went wrong"),
    (
        "error_not_found",
        "没有找到该页面或农户。",
        "No such page or household.",
    ),
    (
        "error_bad_request",
        "请求参数有误：",
        "A parameter is wrong: ",
    ),
    (
        "error_internal",
        "服务器出错，原因已记录。请稍后再试。",
        "The server failed; the cause has been logged. Please try again later.",
    ),
    (
        "back_to_list",
        "返回农户台账",
        "Back to the household ledger",
    ),
    ("login_title", "登录", "Log in"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    ("log_in", "登录", "Log in"),
    ("log_out", "退出", "Log out"),
    (
        "login_failed",
        "用户名或密码错误，或账号已停用。",
        "Wrong username or password, or the account is disabled.",
    ),
    (
        "login_expired",
        "登录页面已过期，请重新提交。",
        "The login form expired; please submit it again.",
    ),
    ("signed_in_as", "当前用户", "Signed in as"),
    ("scope", "负责范围", "Scope"),
    (
        "unmask_reason",
        "查看完整证件号和电话的原因（将记入审计日志）",
        "Why you need the full ID numbers and phones (recorded in the audit log)",
    ),
    ("unmask", "查看完整信息", "Show full details"),
    (
        "unmasked_banner",
        "已显示完整信息，本次查看已记入审计日志。",
        "Full details are shown; this look has been recorded in the audit log.",
    ),
    (
        "error_forbidden",
        "您的角色无权进行此操作。",
        "Your role may not do this.",
    ),
    ("masked_value", "已隐藏", "Hidden"),
    ("nav_dashboard", "数据看板", "Dashboard"),
    ("nav_home", "首页", "Home"),
    ("dashboard_title", "数据看板", "Dashboard"),
    ("breadcrumbs", "地区层级", "Region path"),
    ("export_csv", "导出 CSV", "Export CSV"),
    ("export_xlsx", "导出 Excel", "Export Excel"),
    (
        "line_in_force",
        "监测范围（收入线）：{line} 元/人·年",
        "Monitoring line: {line} yuan per person per year",
    ),
    (
        "suppress_note",
        "少于 {k} 户的数字显示为“<{k}”（小单元格保护），仍计入合计",
        "Numbers of fewer than {k} households show as \"<{k}\" (small-cell protection) and still count in totals",
    ),
    ("tile_households", "户数", "households"),
    ("tile_persons", "人数", "persons"),
    (
        "tile_below_line",
        "人均纯收入低于监测线（户）",
        "Households below the monitoring line",
    ),
    ("total_n", "合计 {n}", "total {n}"),
    ("fig_households", "农户类型（户）", "Households by type"),
    ("fig_persons", "人口（人）", "Persons by household type"),
    (
        "fig_income_bands",
        "人均纯收入分布（户）",
        "Per-capita net income against the line (households)",
    ),
    (
        "fig_income_bands_formerly_poor",
        "脱贫户人均纯收入分布（户）",
        "Formerly poor households: income against the line",
    ),
    (
        "fig_income_net_fen",
        "脱贫户纯收入（分）",
        "Net income of formerly poor households (fen)",
    ),
    (
        "fig_income_persons",
        "脱贫户人口（有收入记录）",
        "Persons in formerly poor households with an income record",
    ),
    (
        "fig_health",
        "家庭成员健康状况（人）",
        "Members by health (persons)",
    ),
    (
        "fig_labour",
        "家庭成员劳动技能（人）",
        "Members by labour skill (persons)",
    ),
    (
        "fig_quality",
        "数据质量问题（户）",
        "Data-quality problems (households)",
    ),
    (
        "fig_income_growth",
        "脱贫户人均纯收入增长",
        "Income growth of formerly poor households",
    ),
    ("band_below_line", "低于监测线", "Below the line"),
    ("band_near_line", "监测线至1.5倍", "Line to 1.5 × line"),
    ("band_above_near", "1.5倍及以上", "1.5 × line and above"),
    ("band_no_record", "无收入记录", "No income record"),
    (
        "quality_no_members",
        "无在户成员",
        "No member in the household",
    ),
    ("quality_no_head", "无户主", "No household head"),
    (
        "quality_several_heads",
        "多个户主",
        "Several household heads",
    ),
    ("col_year", "年度", "Year"),
    (
        "col_per_capita",
        "人均纯收入（元）",
        "Per-capita net income (yuan)",
    ),
    (
        "growth_text",
        "较上年增长 {percent}%",
        "{percent} % on the year before",
    ),
    ("child_regions", "下级地区", "Sub-regions"),
    ("col_region", "地区", "Region"),
    ("col_region_code", "区划代码", "Region code"),
    ("home_title", "我的工作台", "My work"),
    ("home_actions", "待我处理", "Needs my action"),
    (
        "action_below_line",
        "{n} 户人均纯收入低于监测线：核实是否纳入监测",
        "{n} households below the monitoring line: check whether to monitor them",
    ),
    (
        "action_quality",
        "{n} 户存在数据质量问题：请核实更正",
        "{n} households with data-quality problems: check and correct",
    ),
    (
        "home_nothing_due",
        "目前没有待处理事项。",
        "Nothing needs your action now.",
    ),
    (
        "home_no_registry",
        "您的角色不查看农户台账。",
        "Your role does not read the household registry.",
    ),
    ("open_dashboard", "打开数据看板", "Open the dashboard"),
    ("filter_band", "收入分组", "Income band"),
    ("all_bands", "全部", "All bands"),
    ("nav_cases", "案件", "Cases"),
    ("nav_visits", "走访安排", "Visits"),
    (
        "assistance_title",
        "帮扶与监测",
        "Assistance and monitoring",
    ),
    (
        "card_pdf",
        "打印明白卡 (PDF)",
        "Print the assistance card (PDF)",
    ),
    ("case", "案件", "case"),
    ("case_abstentions", "弃权", "Abstentions"),
    (
        "case_adverse",
        "比对发现不符（资产或收入）",
        "Adverse findings (assets or income)",
    ),
    ("case_all_stages", "全部环节", "All stages"),
    ("case_announced_on", "公告日期", "Announced on"),
    (
        "case_announcement_pdf",
        "结果公告 (PDF)",
        "Result announcement (PDF)",
    ),
    ("case_answer", "答复", "Answer"),
    (
        "case_asset_query",
        "已授权查询存款、车辆、房产、工商信息",
        "Authorised the query of deposits, vehicles, real estate and businesses",
    ),
    ("case_attendees", "到会人数", "Attendees"),
    ("case_category", "监测对象类别", "Category"),
    ("case_channel", "发现渠道", "Channel"),
    ("case_closed_on", "结束于", "closed on"),
    ("case_clue_date", "发现日期", "Clue date"),
    (
        "case_commitment",
        "农户已签署申请书和承诺书",
        "The household signed the application and commitment",
    ),
    ("case_decision", "审定结果", "Decision"),
    ("case_elimination_type", "消除类型", "Elimination type"),
    ("case_entered_by", "录入人", "Entered by"),
    ("case_entered_on", "录入日期", "Entered on"),
    ("case_findings", "核实情况", "Findings"),
    (
        "case_green_channel",
        "绿色通道（先帮后认）",
        "Green channel (help first, recognise later)",
    ),
    ("case_held_on", "评议日期", "Held on"),
    ("case_kind", "类型", "Kind"),
    ("case_minutes", "会议记录", "Minutes"),
    ("case_my_turn", "待我处理", "My turn"),
    ("case_next", "下一步", "Next steps"),
    (
        "case_no_objections",
        "公示期间无异议",
        "No objections during the notice",
    ),
    (
        "case_nothing_for_you",
        "当前环节无需您办理",
        "Nothing at this stage is yours to do",
    ),
    ("case_notice", "村内公示", "Village public notice"),
    ("case_notice_pdf", "公示 (PDF)", "Public notice (PDF)"),
    ("case_notice_start", "公示开始日期", "Notice start"),
    ("case_objection", "异议内容", "Objection"),
    ("case_objection_no", "异议", "Objection"),
    ("case_opinion", "审核意见", "Opinion"),
    ("case_overdue", "已逾期", "Overdue"),
    ("case_overdue_only", "仅看逾期", "Overdue only"),
    ("case_reason", "理由", "Reason"),
    ("case_refused", "未能办理", "Not done"),
    ("case_rejection", "不予通过", "Rejected"),
    ("case_risk_hint", "风险类型代码", "Risk type code"),
    ("case_risks", "风险类型（1–5 项）", "Risk types (1–5)"),
    ("case_rollback", "风险消除回退", "Rolls back an elimination"),
    ("case_stage", "环节", "Stage"),
    ("case_step_due", "本环节时限", "Step due"),
    ("case_steps", "办理过程", "Steps"),
    ("case_summary", "情况说明", "Summary"),
    ("case_unanswered", "尚未答复", "Not answered yet"),
    ("case_votes_against", "反对", "Against"),
    ("case_votes_for", "赞成", "For"),
    ("case_whole_due", "认定时限", "Whole due"),
    ("cases_none", "没有案件", "No cases"),
    (
        "cases_title",
        "监测对象识别与风险消除",
        "Identification and elimination cases",
    ),
    ("clue_new", "登记线索", "Record a clue"),
    (
        "clue_self_declaration_hint",
        "农户自主申报：可由村干部代填，提交后转乡镇受理。",
        "Self-declaration: a cadre may fill it in for the household; it goes to the township to accept.",
    ),
    ("clue_submit", "登记", "Record"),
    (
        "eligibility_title",
        "风险消除条件",
        "Elimination conditions",
    ),
    ("elimination_assistance", "帮扶消除", "Through assistance"),
    ("elimination_natural", "自然消除", "Natural disappearance"),
    ("measure_amount", "金额（元）", "Amount (yuan)"),
    ("measure_category", "措施类别", "Category"),
    ("measure_end", "结束日期", "End"),
    ("measure_funding", "资金来源", "Funding"),
    ("measure_name", "措施内容", "Measure"),
    ("measure_new", "登记帮扶措施", "Record a measure"),
    ("measure_start", "开始日期", "Start"),
    (
        "measures_match",
        "措施与风险相符",
        "The measures match the risks",
    ),
    ("measures_none", "尚无帮扶措施", "No measures yet"),
    ("measures_title", "帮扶措施", "Measures"),
    ("monitoring_status", "监测状态", "Monitoring status"),
    ("propose_submit", "提出风险消除", "Propose elimination"),
    ("propose_title", "风险消除", "Risk elimination"),
    ("save", "保存", "Save"),
    ("visit_date", "走访日期", "Visit date"),
    ("visit_due_now", "应走访", "Due"),
    ("visit_follow_ups", "后续跟进", "Follow-ups"),
    ("visit_last", "上次走访", "Last visit"),
    ("visit_new", "登记走访", "Record a visit"),
    ("visit_next_due", "下次走访", "Next visit due"),
    ("visit_not_checked", "未查看", "Not checked"),
    ("visit_ok", "正常", "Fine"),
    ("visit_problem", "有问题", "Problem"),
    ("visit_problems", "发现问题", "Problems"),
    ("visit_visitor", "走访人", "Visitor"),
    (
        "visits_none",
        "没有需要走访的农户",
        "No households to visit",
    ),
    ("visits_title", "走访", "Visits"),
    ("visit_income_above_line", "收入", "Income"),
    ("visit_health_ok", "健康", "Health"),
    ("visit_schooling_ok", "上学", "Schooling"),
    ("visit_work_ok", "务工", "Work"),
    ("visit_housing_ok", "住房", "Housing"),
    ("visit_water_ok", "饮水", "Water"),
    ("cmd_accept", "乡镇受理", "Accept"),
    ("cmd_verify", "入户核实", "Verify"),
    ("cmd_compare", "信息比对", "Compare"),
    ("cmd_appraise", "民主评议", "Appraise"),
    ("cmd_post_notice", "张贴公示", "Post the notice"),
    ("cmd_file_objection", "登记异议", "File an objection"),
    ("cmd_answer_objection", "答复异议", "Answer an objection"),
    ("cmd_close_notice", "结束公示", "Close the notice"),
    ("cmd_review", "乡镇审核", "Review"),
    ("cmd_approve", "县级审定", "Approve"),
    ("cmd_announce", "结果公告", "Announce"),
    (
        "cmd_enter_national",
        "录入全国系统",
        "Enter in the national system",
    ),
    ("cmd_reject", "不予通过", "Reject"),
    (
        "timeline_title",
        "监测帮扶记录",
        "Monitoring and assistance timeline",
    ),
    (
        "timeline_none",
        "尚无线索、措施或走访",
        "No clues, measures or visits yet",
    ),
    ("colon", "：", ": "),
    ("chg_title", "登记变更", "Registry changes"),
    (
        "chg_intro",
        "每项变更需填写原因和生效日期，保存为新版本，旧记录不会被覆盖或删除。",
        "Each change needs a reason and an effective date; it is kept as a new version and nothing is overwritten or deleted.",
    ),
    ("chg_version", "本页载入时的版本：", "Version loaded:"),
    (
        "chg_conflict",
        "其他用户已修改此户，您的变更未保存。请刷新后重新填写。",
        "Someone else changed this household since you loaded it; your change was not saved. Reload and enter it again.",
    ),
    ("chg_reload", "刷新", "Reload"),
    (
        "chg_no_version",
        "表单缺少版本号，请刷新页面后重试。",
        "The form carries no version; reload the page and try again.",
    ),
    (
        "chg_valid_from",
        "生效日期（默认今天）",
        "Effective date (today if empty)",
    ),
    ("chg_reason", "变更原因", "Reason for the change"),
    ("chg_id_number", "身份证号", "ID number"),
    ("chg_birth_date", "出生日期", "Date of birth"),
    ("chg_joining", "增员原因", "How the member joins"),
    ("chg_person", "成员", "Member"),
    ("chg_leaving", "减员原因", "Why the member leaves"),
    (
        "chg_to_household_no",
        "迁入户的户编号",
        "Household no. moved to",
    ),
    (
        "chg_new_relation",
        "在新户中与户主关系",
        "Relation in the new household",
    ),
    ("chg_members_leaving", "分出的成员", "Members who leave"),
    ("chg_new_head", "新户主", "New head"),
    (
        "chg_from_household_no",
        "并入户的户编号",
        "Household no. merged in",
    ),
    (
        "chg_former_head_relation",
        "原户主的新关系",
        "Former head's new relation",
    ),
    (
        "chg_income_record",
        "更正的收入记录（新增时留空）",
        "Income record to correct (empty for a new one)",
    ),
    ("chg_period_start", "收入期间起", "Period from"),
    ("chg_period_end", "收入期间止", "Period to"),
    ("chg_submit", "保存变更", "Save the change"),
    (
        "chg_one_head",
        "每户有且只有一名户主：如需更换户主，请使用“更换户主”。",
        "A household has exactly one head: to replace the head, use “Change the head”.",
    ),
    (
        "chg_remove_hint",
        "减员只记录状态，不删除成员。",
        "A removal records the member's status; nobody is deleted.",
    ),
    (
        "chg_merge_hint",
        "被并入户的全部在户成员将并入本户，关系记为“其他”，可随后修改。",
        "Every active member of the other household joins this one as “other”; edit the relations afterwards.",
    ),
    (
        "chg_keep_hint",
        "留空的字段保持原值。",
        "Fields left empty keep their value.",
    ),
    (
        "chg_income_hint",
        "金额单位为元，可保留两位小数。",
        "Amounts are yuan, with up to two decimals.",
    ),
    (
        "chg_add_member",
        "增员（出生、婚入、其他）",
        "Add a member (birth, marriage in, other)",
    ),
    (
        "chg_remove_member",
        "减员（死亡、婚出、迁出）",
        "Remove a member (death, marriage out, moved out)",
    ),
    (
        "chg_transfer_member",
        "成员转户",
        "Transfer a member to another household",
    ),
    ("chg_split", "分户", "Split the household"),
    ("chg_merge", "并户", "Merge another household into this one"),
    ("chg_change_head", "更换户主", "Change the head"),
    ("chg_edit_household", "修改户信息", "Edit the household"),
    ("chg_edit_member", "修改成员信息", "Edit a member"),
    (
        "chg_record_income",
        "登记或更正收入",
        "Record or correct an income period",
    ),
    ("imp_title", "导入登记数据", "Import registry data"),
    (
        "imp_failed",
        "文件无法导入，未写入任何数据：",
        "The file cannot be imported; nothing was written:",
    ),
    ("imp_kind", "文件类型", "File"),
    (
        "imp_kind_households",
        "户成员信息（登记表）",
        "Registry (one row per person)",
    ),
    (
        "imp_kind_incomes",
        "收入信息",
        "Incomes (one row per household and period)",
    ),
    ("imp_mode", "方式", "Mode"),
    (
        "imp_mode_all",
        "全部或全不（有一行错误则不写入）",
        "All or nothing (one bad row writes nothing)",
    ),
    (
        "imp_mode_partial",
        "部分导入（只写入无误的户）",
        "Partial (write only the households without errors)",
    ),
    (
        "imp_mode_dry",
        "仅校验，不写入",
        "Check only; write nothing",
    ),
    ("imp_file", "文件（.csv 或 .xlsx）", "File (.csv or .xlsx)"),
    ("imp_submit", "上传并导入", "Upload and import"),
    (
        "imp_hint",
        "支持 UTF-8、带 BOM 的 UTF-8 和 GB18030/GBK 编码；表头可为中文或英文，顺序不限。同一文件重复导入不会产生变化。",
        "UTF-8, UTF-8 with a BOM and GB18030/GBK are read; headers may be Chinese or English in any order. Importing the same file twice changes nothing.",
    ),
    ("imp_batch", "导入批次", "Import batch"),
    ("imp_status", "结果", "Outcome"),
    ("imp_report", "下载报告", "Download the report"),
    ("imp_issues", "问题", "Issues"),
    ("imp_rule", "规则", "Rule"),
    ("imp_field", "字段", "Field"),
    ("imp_all", "全部", "All"),
    ("imp_row", "行", "Row"),
    ("imp_column", "列", "Column"),
    ("imp_severity", "级别", "Severity"),
    ("imp_message", "说明", "Message"),
    ("imp_no_issues", "没有符合条件的问题。", "No issues match."),
    ("exp_export", "导出当前列表", "Export this list"),
    ("q_title", "数据质量", "Data quality"),
    ("q_households", "检查户数", "Households checked"),
    ("q_ledger", "导出台账", "Export the ledger"),
    (
        "q_withheld",
        "涉及健康信息的问题只计数，不列出具体农户。",
        "Findings that reveal health are counted but their households are not listed.",
    ),
    ("q_national", "国家规则编码", "National rule"),
    ("q_rule_name", "规则", "Rule"),
    ("q_count", "问题户数", "Households"),
    ("q_none", "没有可显示的农户。", "No households to show."),
    // Early warning and department feeds (issue 5).
    ("nav_warnings", "预警", "Warnings"),
    ("nav_feeds", "部门数据", "Department feeds"),
    ("warnings_title", "筛查预警", "Screening warnings"),
    ("warning_title", "预警", "Warning"),
    ("warning_rule", "规则", "Rule"),
    ("all_rules", "全部规则", "All rules"),
    ("warning_risk", "风险类型", "Risk type"),
    ("warning_state", "状态", "State"),
    ("all_states", "全部状态", "All states"),
    ("state_open", "待核实", "Open"),
    ("state_withdrawn", "已撤销", "Withdrawn"),
    ("warning_due", "核实期限", "Verify by"),
    ("warning_updated", "更新时间", "Updated"),
    ("overdue", "已逾期", "Overdue"),
    ("total_warnings", "共 {n} 条预警", "{n} warnings"),
    ("no_warnings", "没有符合条件的预警。", "No warnings match."),
    ("back_to_warnings", "返回预警列表", "Back to the warnings"),
    ("warning_rules", "命中规则", "Rules hit"),
    (
        "warning_explanation",
        "预警说明（阈值、证据、本户数据）",
        "Explanation (thresholds, evidence, household figures)",
    ),
    ("feeds_title", "部门数据导入", "Department feed uploads"),
    ("feed_kind", "数据类别", "Feed"),
    ("feed_file", "文件", "File"),
    ("feed_upload", "上传", "Upload"),
    ("feed_batches", "已导入批次", "Imported batches"),
    ("feed_period", "数据期间", "Period"),
    ("feed_rows", "行数", "Rows"),
    ("feed_matched", "匹配", "Matched"),
    ("feed_unmatched", "未匹配", "Unmatched"),
    (
        "feed_unmatched_rows",
        "未匹配的行",
        "Rows that match nobody",
    ),
    ("feed_row", "行号", "Row"),
    (
        "feed_target",
        "证件号码/户编号/区划",
        "ID number / household no. / region",
    ),
    ("no_feeds", "还没有导入的批次。", "No batches imported yet."),
    ("feed_imported", "已导入", "Imported"),
    (
        "feed_already",
        "该文件此前已导入，未重复写入。",
        "This file was imported before; nothing was written again.",
    ),
    (
        "feed_summary",
        "共 {n} 行：匹配 {matched} 行，未匹配 {unmatched} 行。",
        "{n} rows: {matched} matched, {unmatched} unmatched.",
    ),
    ("nav_villages", "村情", "Villages"),
    ("nav_campaigns", "集中排查", "Screening campaigns"),
    ("nav_samples", "评估抽样", "Assessment sample"),
    (
        "vp_dashboard_link",
        "人居环境与基础设施（村情）",
        "Living environment and infrastructure (village profiles)",
    ),
    (
        "vp_title",
        "村情 · 人居环境与基础设施",
        "Village profiles · living environment and infrastructure",
    ),
    ("vp_as_of", "截至日期", "As of"),
    ("vp_export", "导出村情", "Export profiles"),
    ("vp_profile", "村情档案", "Village profile"),
    ("vp_indicator", "指标", "Indicator"),
    ("vp_target", "目标", "Target"),
    ("vp_met", "达标村数", "Villages meeting it"),
    ("vp_gap", "未达标村数", "Villages with a gap"),
    ("vp_unrecorded", "未填报村数", "Villages not recorded"),
    ("vp_coverage", "覆盖率", "Coverage"),
    ("vp_by_region", "分地区", "By region"),
    (
        "vp_cell_legend",
        "每格：达标/未达标/未填报 · 覆盖率",
        "Each cell: met/gap/not recorded · coverage",
    ),
    ("vp_gaps", "未达标的村", "Villages with gaps"),
    ("vp_village", "村", "Village"),
    ("vp_missed", "未达标指标", "Indicators missed"),
    (
        "vp_no_gaps",
        "没有未达标的村。",
        "No village misses a target.",
    ),
    ("vp_group", "类别", "Group"),
    ("vp_reading", "现值", "Reading"),
    ("vp_status", "状态", "Status"),
    ("vp_date", "日期", "Date"),
    ("vp_project", "关联项目", "Project"),
    ("vp_note", "备注", "Note"),
    ("vp_status_met", "达标", "Met"),
    ("vp_status_gap", "未达标", "Gap"),
    ("vp_status_unrecorded", "未填报", "Not recorded"),
    ("vp_record", "填报指标", "Record an indicator"),
    (
        "vp_value",
        "数值（户数、1/0 或天数）",
        "Value (households, 1/0 or days)",
    ),
    (
        "vp_base",
        "户数基数（比例类指标）",
        "Out of households (shares)",
    ),
    ("vp_save", "保存", "Save"),
    ("vp_history", "历史记录", "History"),
    ("vp_recorded", "记录时间与人员", "Recorded"),
    ("vp_no_history", "尚无记录。", "Nothing recorded yet."),
    ("cp_title", "集中排查", "Concentrated screening campaigns"),
    ("cp_name", "名称", "Name"),
    ("cp_scope", "范围", "Scope"),
    ("cp_period", "时间", "Period"),
    ("cp_opened_by", "发起人", "Opened by"),
    ("cp_none", "尚无集中排查。", "No campaign yet."),
    ("cp_open", "发起集中排查", "Open a campaign"),
    ("cp_county", "县代码", "County code"),
    (
        "cp_scope_must_visit",
        "八必访对象",
        "Eight must-visit groups",
    ),
    ("cp_scope_all", "全体农户", "Every household"),
    ("cp_start", "开始日期", "Start"),
    ("cp_end", "结束日期", "End"),
    (
        "cp_open_button",
        "生成走访名单",
        "Open and build the visit lists",
    ),
    ("cp_report", "排查情况", "Report"),
    ("cp_listed", "应访户数", "Listed"),
    ("cp_covered", "已访户数", "Covered"),
    ("cp_coverage", "覆盖率", "Coverage"),
    ("cp_visits", "走访次数", "Visits"),
    ("cp_findings", "发现风险", "Findings"),
    ("cp_cases", "转为线索", "Cases opened"),
    ("cp_identified", "新识别", "New identifications"),
    ("cp_problems", "发现问题", "Problems"),
    ("cp_groups", "按八必访类别", "By must-visit group"),
    ("cp_group", "类别", "Group"),
    ("cp_daily", "逐日覆盖", "Coverage by day"),
    ("cp_list", "走访名单", "Visit list"),
    ("cp_helper", "帮扶联系人", "Helper"),
    ("cp_head", "户主", "Head"),
    ("cp_last_visit", "最近走访", "Last visit"),
    ("cp_record_visit", "登记走访", "Record a visit"),
    ("cp_outcome", "走访结果", "Outcome"),
    ("cp_outcome_no_risk", "未发现风险", "No risk found"),
    (
        "cp_outcome_risk_found",
        "发现风险（转线索）",
        "Risk found (opens a case)",
    ),
    ("cp_outcome_not_reached", "未入户", "Not reached"),
    ("cp_note", "情况说明", "What was found"),
    ("sp_title", "考核评估抽样", "Assessors' sample"),
    ("sp_seed", "随机种子", "Seed"),
    ("sp_draw", "抽样", "Draw"),
    (
        "sp_note",
        "同一县、同一种子、同一日期总是抽出同一样本；每次抽样记入审计日志。",
        "The same county, seed and date always give the same sample; every draw is written to the audit log.",
    ),
    ("sp_forms", "入户调查表", "Visit forms"),
    ("sp_villages", "样本村", "Sampled villages"),
    ("sp_strata", "分层", "Strata"),
    ("sp_stratum", "层", "Stratum"),
    ("sp_population", "总体户数", "Population"),
    ("sp_drawn", "抽取户数", "Drawn"),
    ("sp_households", "样本户", "Sampled households"),
    ("sp_members", "在户人数", "Members"),
];

/// The messages of one language, for templates (`t.<id>`).
pub(crate) fn table(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    MESSAGES
        .iter()
        .map(|(id, zh, en)| {
            let text = match lang {
                Lang::Zh => *zh,
                Lang::En => *en,
            };
            (*id, text)
        })
        .collect()
}

/// One message; the id must be in [`MESSAGES`].
pub(crate) fn message(lang: Lang, id: &str) -> &'static str {
    MESSAGES
        .iter()
        .find(|(key, _, _)| *key == id)
        .map(|(_, zh, en)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
        .unwrap_or_else(|| panic!("message {id:?} is not in the table"))
}

/// The English label of a codebook code: `daughter_in_law` → `Daughter in law`.
pub(crate) fn humanize(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_message_has_both_languages_and_a_unique_id() {
        let mut seen = HashSet::new();
        for (id, zh, en) in MESSAGES {
            assert!(seen.insert(id), "message {id:?} is listed twice");
            assert!(!zh.trim().is_empty(), "message {id:?} has no Chinese");
            assert!(!en.trim().is_empty(), "message {id:?} has no English");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "message id {id:?} must be snake_case to be usable as t.{id}"
            );
        }
    }

    #[test]
    fn placeholders_agree_between_languages() {
        for (id, zh, en) in MESSAGES {
            for p in ["{n}", "{page}", "{pages}", "{date}", "{instant}"] {
                assert_eq!(zh.contains(p), en.contains(p), "{id}: placeholder {p}");
            }
        }
    }

    #[test]
    fn codes_read_as_english_labels() {
        assert_eq!(humanize("daughter_in_law"), "Daughter in law");
        assert_eq!(humanize("formerly_poor"), "Formerly poor");
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
    }
}
