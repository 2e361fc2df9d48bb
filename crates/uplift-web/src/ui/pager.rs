//! Paging of the list pages that have no store paging of their own (the case queue, the visit
//! schedule): `page` and `per_page` as on /households, one page of rows rendered, a total and
//! previous/next links that keep the list's filters. The Excel export of such a list
//! (`list_export.rs`) renders every row: the layer marks its request with [`EveryRow`].

use serde::{Deserialize, Serialize};
use uplift_app::store::Page;

use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::ui::query_string;

/// The request is an export of the whole list, not a page of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EveryRow;

/// `page` (1-based) and `per_page` (at most 500; 50 when absent).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageParams {
    pub(crate) page: Option<String>,
    pub(crate) per_page: Option<String>,
}

impl PageParams {
    pub(crate) fn page(&self) -> Result<Page, ApiError> {
        crate::pov::parse_page(&self.page, &self.per_page)
    }
}

/// What a paged list shows under its table.
#[derive(Debug, Serialize)]
pub(crate) struct Pager {
    pub(crate) total_text: String,
    pub(crate) page_text: String,
    pub(crate) prev_href: Option<String>,
    pub(crate) next_href: Option<String>,
}

impl Pager {
    /// The pager of page `page` of `total` rows at `path`; `filters` are kept in the links
    /// (with `per_page` when it was given); `total_key` is the message of the total (`{n}`).
    pub(crate) fn new(
        lang: Lang,
        path: &str,
        filters: &[(&str, &str)],
        params: &PageParams,
        page: Page,
        total: u64,
        total_key: &str,
    ) -> Pager {
        let pages = total.div_ceil(u64::from(page.size)).max(1);
        let number = u64::from(page.number);
        let per_page = params.per_page.clone().unwrap_or_default();
        let href = |n: u64| {
            let n = n.to_string();
            let mut pairs: Vec<(&str, &str)> = filters.to_vec();
            pairs.push(("per_page", &per_page));
            pairs.push(("page", &n));
            format!("{path}{}", query_string(&pairs))
        };
        Pager {
            total_text: i18n::message(lang, total_key).replace("{n}", &total.to_string()),
            page_text: i18n::message(lang, "page_of")
                .replace("{page}", &number.to_string())
                .replace("{pages}", &pages.to_string()),
            prev_href: (number > 1).then(|| href(number.min(pages + 1) - 1)),
            next_href: (number < pages).then(|| href(number + 1)),
        }
    }
}

/// The rows of `page` out of all of them.
pub(crate) fn slice<T>(rows: Vec<T>, page: Page) -> Vec<T> {
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    rows.into_iter()
        .skip(offset)
        .take(page.size as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_slice_the_rows_and_link_to_their_neighbours() {
        let rows: Vec<u32> = (1..=7).collect();
        assert_eq!(slice(rows.clone(), Page::new(1, 3)), vec![1, 2, 3]);
        assert_eq!(slice(rows.clone(), Page::new(3, 3)), vec![7]);
        assert!(slice(rows, Page::new(4, 3)).is_empty());
        let params = PageParams {
            page: Some("2".into()),
            per_page: Some("3".into()),
        };
        let pager = Pager::new(
            Lang::En,
            "/cases",
            &[("stage", "clue"), ("region", "")],
            &params,
            params.page().unwrap(),
            7,
            "total_cases",
        );
        assert_eq!(pager.total_text, "7 cases");
        assert_eq!(pager.page_text, "Page 2 of 3");
        assert_eq!(
            pager.prev_href.as_deref(),
            Some("/cases?stage=clue&per_page=3&page=1")
        );
        assert_eq!(
            pager.next_href.as_deref(),
            Some("/cases?stage=clue&per_page=3&page=3")
        );
        let bad = PageParams {
            page: Some("x".into()),
            per_page: None,
        };
        assert!(bad.page().is_err());
    }
}
