//! Managing LTI consumers, for the staff console (REST) and `vouch lti consumer`: one set
//! of rules for both. Secrets go in and are never given back.

use super::HostList;
use crate::{
    service::{ServiceError, ServiceResult, Services, staff::Staff},
    store::{StoreError, lti},
};
use serde::Deserialize;

/// A consumer to add, as staff or the CLI give it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsumerInput {
    /// A name for people.
    pub name: String,
    /// The OAuth consumer key.
    pub key: String,
    /// The shared secret (at least 16 characters).
    pub secret: crate::config::Secret,
    /// The LMS instance's GUID, if known.
    #[serde(default)]
    pub instance_guid: Option<String>,
    /// Hosts its outcome URLs may use (comma-separated or a list).
    #[serde(default)]
    pub allowed_outcome_hosts: HostList,
    /// Its `frame-ancestors` policy (space-separated sources).
    #[serde(default)]
    pub frame_ancestors: String,
    /// Open edX `use_lti_pii` (default off): launches fill an empty profile name and email.
    #[serde(default)]
    pub use_lti_pii: bool,
    /// Open edX `require_user_account` (default off): an unmapped learner signs in with the
    /// LMS and that account is linked to the LTI user.
    #[serde(default)]
    pub require_user_account: bool,
}

/// A change to a consumer's opt-ins; an absent field is left as it is (the REST body the
/// console sends, shared with it).
pub use rest_types::LtiConsumerUpdate as ConsumerUpdate;

/// A consumer as shown: everything but the secret (the REST body, shared with the console).
pub use rest_types::LtiConsumerBody as ConsumerView;

impl From<lti::Consumer> for ConsumerView {
    fn from(c: lti::Consumer) -> Self {
        Self {
            name: c.name,
            key: c.key,
            instance_guid: c.instance_guid,
            allowed_outcome_hosts: c.allowed_outcome_hosts,
            frame_ancestors: c.frame_ancestors,
            use_lti_pii: c.use_lti_pii,
            require_user_account: c.require_user_account,
        }
    }
}

/// Checks and normalizes `input`; the error says which field and why.
pub fn validate(input: ConsumerInput) -> Result<lti::NewConsumer, String> {
    let (name, key) = (input.name.trim().to_owned(), input.key.trim().to_owned());
    if name.is_empty() || key.is_empty() || key.chars().any(char::is_whitespace) {
        return Err("A consumer needs a name and a key; a key has no spaces.".into());
    }
    // Control characters (a NUL above all, which PostgreSQL text cannot hold) have no place
    // in any of the consumer's fields.
    let guid = input.instance_guid.as_deref().unwrap_or_default();
    if [name.as_str(), key.as_str(), input.secret.expose(), guid].iter().any(|f| f.chars().any(char::is_control)) {
        return Err("A consumer's fields cannot hold control characters.".into());
    }
    if input.secret.expose().chars().count() < 16 {
        return Err("The secret must be at least 16 characters.".into());
    }
    let frame_ancestors = input.frame_ancestors.trim().to_owned();
    // It goes into a header: one directive's sources only, nothing that starts another.
    if frame_ancestors.contains([';', ',', '\n', '\r']) || !frame_ancestors.is_ascii() {
        return Err("frame_ancestors is a space-separated list of sources.".into());
    }
    Ok(lti::NewConsumer {
        name,
        key,
        secret: input.secret,
        instance_guid: input.instance_guid.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()),
        allowed_outcome_hosts: input.allowed_outcome_hosts.0,
        frame_ancestors,
        use_lti_pii: input.use_lti_pii,
        require_user_account: input.require_user_account,
    })
}

/// Every consumer (staff only).
pub async fn list(services: &Services, _staff: Staff) -> ServiceResult<Vec<ConsumerView>> {
    let mut conn = services.store.conn().await?;
    Ok(lti::consumers(&mut conn).await?.into_iter().map(ConsumerView::from).collect())
}

/// Adds a consumer (staff only); a taken key or GUID is a conflict.
#[tracing::instrument(skip_all, fields(staff.id = %staff))]
pub async fn add(services: &Services, staff: Staff, input: ConsumerInput) -> ServiceResult<ConsumerView> {
    let new = validate(input).map_err(ServiceError::Invalid)?;
    let mut tx = services.store.begin().await?;
    match lti::insert_consumer(&mut tx, &new, services.clock.now()).await {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => {
            return Err(crate::service::Conflict::LtiConsumerExists.into());
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(lti.consumer_key = %new.key, "LTI consumer added");
    let mut conn = services.store.conn().await?;
    lti::consumer_by_key(&mut conn, &new.key).await?.map(ConsumerView::from).ok_or(ServiceError::NotFound)
}

/// Changes a consumer's opt-ins (staff only); an update that changes nothing is refused, so
/// a misspelt request is noticed.
#[tracing::instrument(skip_all, fields(staff.id = %staff))]
pub async fn update(
    services: &Services,
    staff: Staff,
    key: &str,
    update: ConsumerUpdate,
) -> ServiceResult<ConsumerView> {
    if update.use_lti_pii.is_none() && update.require_user_account.is_none() {
        return Err(ServiceError::Invalid("Give use_lti_pii, require_user_account, or both.".into()));
    }
    let mut conn = services.store.conn().await?;
    if !lti::set_consumer_flags(&mut conn, key, update.use_lti_pii, update.require_user_account).await? {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(
        lti.consumer_key = %key,
        use_lti_pii = ?update.use_lti_pii,
        require_user_account = ?update.require_user_account,
        "LTI consumer updated"
    );
    lti::consumer_by_key(&mut conn, key).await?.map(ConsumerView::from).ok_or(ServiceError::NotFound)
}

/// Removes a consumer and its LTI records (staff only).
#[tracing::instrument(skip_all, fields(staff.id = %staff))]
pub async fn remove(services: &Services, staff: Staff, key: &str) -> ServiceResult<()> {
    let mut tx = services.store.begin().await?;
    if !lti::delete_consumer(&mut tx, key).await? {
        return Err(ServiceError::NotFound);
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(lti.consumer_key = %key, "LTI consumer removed");
    Ok(())
}
