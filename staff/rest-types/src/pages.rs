//! Pages of results in Open edX's (Django REST framework's) shape.

use serde::{Deserialize, Serialize};

/// A page of results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paginated<T> {
    /// Items in all pages.
    pub count: usize,
    /// How many pages there are (at least 1).
    pub num_pages: usize,
    /// This page's number.
    pub current_page: usize,
    /// The next page's URL, if any.
    pub next: Option<String>,
    /// The previous page's URL, if any.
    pub previous: Option<String>,
    /// The items of this page.
    pub results: Vec<T>,
}

impl<T> Paginated<T> {
    /// Cuts page `page` (from 1) of `size` items out of `all` (lists that are small per
    /// learner).
    pub fn from_all(all: Vec<T>, page: usize, size: usize, base_url: &str) -> Self {
        let count = all.len();
        let results = all.into_iter().skip(page.saturating_sub(1) * size).take(size).collect();
        Self::from_page(results, count, page, size, base_url)
    }

    /// A page read from the database with a known total; `next` and `previous` link to
    /// `base_url` with `page` and `page_size`.
    pub fn from_page(results: Vec<T>, count: usize, page: usize, size: usize, base_url: &str) -> Self {
        let num_pages = count.div_ceil(size.max(1)).max(1);
        let link = |p: usize| {
            let sep = if base_url.contains('?') { '&' } else { '?' };
            format!("{base_url}{sep}page={p}&page_size={size}")
        };
        Self {
            count,
            num_pages,
            current_page: page,
            next: (page < num_pages).then(|| link(page + 1)),
            previous: (page > 1 && page <= num_pages + 1).then(|| link(page - 1)),
            results,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let p = Paginated::from_all((1..=45).collect(), 2, 20, "https://v/api/v1/x");
        assert_eq!((p.count, p.num_pages, p.current_page, p.results.len()), (45, 3, 2, 20));
        assert_eq!(p.next.as_deref(), Some("https://v/api/v1/x?page=3&page_size=20"));
        assert_eq!(p.previous.as_deref(), Some("https://v/api/v1/x?page=1&page_size=20"));
        let last = Paginated::from_all((1..=45).collect::<Vec<i32>>(), 3, 20, "u");
        assert_eq!((last.results.len(), last.next), (5, None));
        let empty = Paginated::from_all(Vec::<i32>::new(), 1, 20, "u");
        assert_eq!((empty.count, empty.num_pages, empty.next, empty.previous), (0, 1, None, None));
    }
}
