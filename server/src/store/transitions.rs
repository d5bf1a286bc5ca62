//! The audit log of status changes, for every attempt kind, written in the same transaction
//! as the change it records.

use super::{
    Conn, StoreResult,
    time::{from_micros, to_micros},
};
use app::domain::{AttemptKind, UserId};
use chrono::{DateTime, Utc};

/// Who caused a status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The learner themself.
    Learner(UserId),
    /// A staff user.
    Staff(UserId),
    /// A vendor, by name.
    Vendor(String),
    /// An in-house reviewer (a user with the reviewer role, or staff reviewing).
    Reviewer(UserId),
    /// Vouch itself (jobs, commands).
    System,
}

impl Actor {
    fn kind_and_id(&self) -> (&'static str, String) {
        match self {
            Self::Learner(u) => ("learner", u.to_string()),
            Self::Staff(u) => ("staff", u.to_string()),
            Self::Vendor(v) => ("vendor", v.clone()),
            Self::Reviewer(u) => ("reviewer", u.to_string()),
            Self::System => ("system", String::new()),
        }
    }
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The status before (none for the creation).
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// `learner`, `staff`, `reviewer`, `vendor` or `system`.
    pub actor_kind: String,
    /// The actor's id or name.
    pub actor_id: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Records a status change of attempt `id` of `kind`.
#[allow(clippy::too_many_arguments)]
pub async fn append(
    conn: &mut Conn,
    kind: AttemptKind,
    id: i64,
    from: Option<&str>,
    to: &str,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (actor_kind, actor_id) = actor.kind_and_id();
    sqlx::query(
        "insert into attempt_transition (attempt_kind, attempt_id, from_status, to_status, actor_kind, \
         actor_id, reason, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(kind.as_str())
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(actor_kind)
    .bind(actor_id)
    .bind(reason)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    // Every kind records its status changes here, so this is where each gets its event.
    super::outbox::record_transition(conn, kind, id, from, to, now).await
}

/// The status changes of one attempt, oldest first.
pub async fn history(conn: &mut Conn, kind: AttemptKind, id: i64) -> StoreResult<Vec<Transition>> {
    let rows: Vec<(Option<String>, String, String, String, String, i64)> = sqlx::query_as(
        "select from_status, to_status, actor_kind, actor_id, reason, created_at from attempt_transition \
         where attempt_kind = $1 and attempt_id = $2 order by transition_id",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(from, to, actor_kind, actor_id, reason, at)| {
            Ok(Transition { from, to, actor_kind, actor_id, reason, at: from_micros(at)? })
        })
        .collect()
}
