//! The REST API: Open edX's paths and JSON shapes (`openedx`), and Vouch's own versioned
//! API under `/api/v1/` (`v1`). Every route here is declared through utoipa, so a route
//! cannot exist without its OpenAPI description (`openapi`).

pub mod courses;
pub mod lms;
pub mod openapi;
pub mod openedx;
pub mod reviews;
pub mod staff;
pub mod v1;

use super::{AppState, error::ApiError, identity::Identity};
use crate::service::{accounts, records::User};
use app::error::ErrorCode;
use serde::Deserialize;
use utoipa::IntoParams;

/// The account named `username`, when the caller may see its data: their own, or any as
/// staff (403 otherwise, before the account is even looked up; 404 when there is none).
pub async fn visible_account(state: &AppState, who: &Identity, username: &str) -> Result<User, ApiError> {
    if !who.may_see(username) {
        return Err(ApiError::new(ErrorCode::Forbidden, "You may only see your own data."));
    }
    Ok(accounts::by_username(&state.services, username).await?)
}

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// `?page=&page_size=` (1-based pages, as Django REST framework's page-number pagination).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1.
    pub page: Option<usize>,
    /// Items per page, 1 to 100 (default 20).
    pub page_size: Option<usize>,
}

impl PageQuery {
    /// The page number and size, validated.
    pub fn resolve(self) -> Result<(usize, usize), ApiError> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            return Err(ApiError::new(ErrorCode::InvalidRequest, "page starts at 1."));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::new(ErrorCode::InvalidRequest, "page_size must be between 1 and 100."));
        }
        Ok((page, size))
    }

    /// The SQL offset and limit of this page.
    pub fn offset_limit(self) -> Result<(i64, i64), ApiError> {
        let (page, size) = self.resolve()?;
        Ok((((page - 1) * size) as i64, size as i64))
    }
}

/// A page of results, in Open edX's (DRF's) shape: a body shared with the staff console.
pub use rest_types::Paginated;

/// Cuts page `query` out of `all` (lists that are small per learner), refusing a bad page
/// or page size.
pub fn paginate<T>(all: Vec<T>, query: PageQuery, base_url: &str) -> Result<Paginated<T>, ApiError> {
    let (page, size) = query.resolve()?;
    Ok(Paginated::from_all(all, page, size, base_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let q = |page, page_size| PageQuery { page, page_size };
        let p = paginate((1..=45).collect(), q(Some(2), Some(20)), "https://v/api/v1/x").unwrap();
        assert_eq!((p.count, p.num_pages, p.current_page, p.results.len()), (45, 3, 2, 20));
        assert_eq!(p.next.as_deref(), Some("https://v/api/v1/x?page=3&page_size=20"));
        assert_eq!(p.previous.as_deref(), Some("https://v/api/v1/x?page=1&page_size=20"));
        let last = paginate((1..=45).collect::<Vec<i32>>(), q(Some(3), Some(20)), "u").unwrap();
        assert_eq!((last.results.len(), last.next), (5, None));
        let empty = paginate(Vec::<i32>::new(), q(None, None), "u").unwrap();
        assert_eq!((empty.count, empty.num_pages, empty.next, empty.previous), (0, 1, None, None));
        assert!(q(Some(0), None).resolve().is_err());
        assert!(q(None, Some(101)).resolve().is_err());
        assert!(q(None, Some(0)).resolve().is_err());
    }
}
