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
    ("export_csv", "导出CSV", "Export CSV"),
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
