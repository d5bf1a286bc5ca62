//! Stored records and store types the entry points (`http`, `cli`) name as they are: the
//! rows services return unchanged, the session store tower-sessions is given, and the
//! store's error (for `?` on it in the HTTP error mapping). Re-exported here so that the
//! entry points depend on the service layer only (`cargo xtask modules --check` refuses
//! an `http` or `cli` path into `store`).

pub use crate::store::{
    StoreError,
    photo_retention::Deleter,
    retry_config::RetryConfigRow,
    sessions::DbSessionStore,
    users::{LmsProfile, User},
    webhook_deliveries::Delivery as WebhookDelivery,
};
