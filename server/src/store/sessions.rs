//! Browser sessions, stored in the database behind `tower-sessions`.
//!
//! Our own small store instead of `tower-sessions-sqlx-store`: that crate needs a typed
//! `SqlitePool` or `PgPool`, while Vouch runs one `Any` pool for both backends.

use super::{Store, StoreError};
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

/// The session store over the Vouch database.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    /// A session store on `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Deletes sessions that expired before `now_unix` (seconds); returns how many.
    pub async fn delete_expired(&self, now_unix: i64) -> std::result::Result<u64, StoreError> {
        let mut conn = self.store.write_conn().await?;
        let done = sqlx::query("delete from web_session where expires_at < $1")
            .bind(now_unix.saturating_mul(1_000_000))
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected())
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn encode(record: &Record) -> Result<(String, String, i64)> {
    let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
    let expires = record.expiry_date.unix_timestamp().saturating_mul(1_000_000);
    Ok((record.id.to_string(), data, expires))
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Session writes take the SQLite write turn like every other writer (`Store::write_conn`).
        let mut conn = self.store.write_conn().await.map_err(backend)?;
        // A fresh random id collides with negligible probability; on a collision, draw again.
        loop {
            let (id, data, expires) = encode(record)?;
            let done = sqlx::query(
                "insert into web_session (session_id, data, expires_at) values ($1, $2, $3) \
                 on conflict (session_id) do nothing",
            )
            .bind(id)
            .bind(data)
            .bind(expires)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let (id, data, expires) = encode(record)?;
        let mut conn = self.store.write_conn().await.map_err(backend)?;
        sqlx::query(
            "insert into web_session (session_id, data, expires_at) values ($1, $2, $3) \
             on conflict (session_id) do update set data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(data)
        .bind(expires)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut conn = self.store.conn().await.map_err(backend)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp().saturating_mul(1_000_000);
        let row: Option<(String,)> =
            sqlx::query_as("select data from web_session where session_id = $1 and expires_at > $2")
                .bind(id.to_string())
                .bind(now)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        row.map(|(data,)| serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))).transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut conn = self.store.write_conn().await.map_err(backend)?;
        sqlx::query("delete from web_session where session_id = $1")
            .bind(id.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
