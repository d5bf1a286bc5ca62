//! The status cache: each learner's verification records, and the LMS sign-in → account
//! mapping, kept in this process so that a status read (what an LMS asks on every dashboard,
//! course page and certificate check) needs no database round trip.
//!
//! **What is cached** is the learner's records as the store returns them, never a decided
//! status: the status, its expiry and `can_verify` are decided at every read with the current
//! time, and the `IDVerificationAttemptsRequested` filters and `hide_status_from_user` are
//! applied after the cache exactly as without it. An approval that expires while cached reads
//! as expired at the right second.
//!
//! **Invalidation.** Every write to an attempt table or to an account's sign-in fields, by any
//! process, is seen through a database trigger (migration 0020): on PostgreSQL it sends
//! `NOTIFY vouch_status, '<user id>'` (delivered at commit), on SQLite it appends the user to
//! `status_change`. Every `vouch serve` and `vouch worker` listens ([`listen`]) and evicts. A
//! transaction of this process also evicts the learners it touched right after its commit
//! (`Store::commit`), so a learner's own next read in this process never waits for the
//! notification.
//!
//! **The promise** (`cache.max_stale_ms`, default 1 s): a cached answer is only served while
//! the listener has proved, within that time, that it has applied every change committed up
//! to then ([`StatusCache::mark_fresh`]: a heartbeat through PostgreSQL's notification queue,
//! or a completed poll of `status_change`). A lost connection, a stuck listener or a database
//! outage therefore turns the cache off by itself after at most `max_stale_ms`; reads go to
//! the database until the listener has reconnected, flushed everything and proved itself
//! again.
//!
//! **Races.** A load that began before an eviction must not store what it read: every
//! eviction takes a new generation, a load carries the generation current when it began (its
//! [`Ticket`]), and a slot keeps the generation of its last eviction, so a load older than
//! that is dropped. Slots leave the cache for space or age; when one that remembers an
//! eviction leaves, the floor rises to its generation, and no older load is stored anywhere.

pub mod listen;

use crate::store::{status_changes::Touched, users::User};
use app::domain::{UserId, Verification};
use quick_cache::{
    DefaultHashBuilder, UnitWeighter,
    sync::{EntryAction, EntryResult},
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// The configured bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Off: every read goes to the database (`cache.enabled`).
    pub enabled: bool,
    /// The longest a served answer may lag a committed change (`cache.max_stale_ms`).
    pub max_stale: Duration,
    /// Learners kept (`cache.max_learners`); as many sign-in mappings.
    pub max_learners: u64,
    /// How long an entry lives without an eviction (`cache.ttl_secs`): a bound on memory
    /// for learners who stopped asking, not on staleness.
    pub ttl: Duration,
}

impl From<&crate::config::cache::CacheConfig> for Limits {
    fn from(c: &crate::config::cache::CacheConfig) -> Self {
        Self {
            enabled: c.enabled,
            max_stale: Duration::from_millis(c.max_stale_ms),
            max_learners: c.max_learners,
            ttl: Duration::from_secs(c.ttl_secs),
        }
    }
}

/// A learner's slot: the records (once loaded) and the generation of the last eviction.
#[derive(Debug, Clone)]
struct Slot {
    records: Option<(Arc<Vec<Verification>>, u64)>,
    evicted: u64,
    /// When the slot was last written ([`StatusCache::now_ms`]): it lives `ttl` from then.
    written_ms: u64,
}

/// Learners by id. quick_cache rather than moka: a hit is a shard read lock and one atomic
/// bit, where moka's read also queued a read record and ran its housekeeping inline, which
/// with four lookups a request was 14 % of a cached status read's CPU (perf). Its per-key
/// `entry` runs under the shard's write lock, which gives evictions and loads the same
/// one-at-a-time order per key that moka's `and_compute_with` did.
type Learners = quick_cache::sync::Cache<UserId, Slot, UnitWeighter, DefaultHashBuilder, RaiseFloor>;

/// Sign-ins by what the token says; the time each was written.
type SignIns = quick_cache::sync::Cache<SignInKey, (Arc<User>, Ticket, u64)>;

/// When a slot that remembers an eviction leaves for space, loads older than that eviction
/// must not be stored for anyone from now on.
#[derive(Debug, Clone)]
struct RaiseFloor(Arc<AtomicU64>);

impl quick_cache::Lifecycle<UserId, Slot> for RaiseFloor {
    type RequestState = ();

    fn on_evict(&self, (): &mut (), _user: UserId, slot: Slot) {
        if slot.evicted > 0 {
            self.0.fetch_max(slot.evicted, Ordering::SeqCst);
        }
    }
}

/// The generation a load began in: what it read may be stored only if nothing about that
/// learner was evicted since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

/// What an LMS token says about its user; the same token signs in without a database write
/// while the account is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignInKey {
    /// The LMS's user id.
    pub lms_user_id: i64,
    /// The token's username.
    pub username: String,
    /// The token's email.
    pub email: String,
    /// The token's full name.
    pub full_name: String,
}

/// The cache (cheap to clone: one per process, shared by every request and job).
#[derive(Debug, Clone)]
pub struct StatusCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: Limits,
    learners: Learners,
    sign_ins: SignIns,
    generation: AtomicU64,
    floor: Arc<AtomicU64>,
    /// Milliseconds after `epoch` as of which every committed change has been applied; 0:
    /// never proved (no answer is served).
    fresh_as_of_ms: AtomicU64,
    epoch: Instant,
    /// Milliseconds added to every reading of the clock: 0, except in tests that move time on
    /// instead of sleeping ([`StatusCache::advance`]).
    skew_ms: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl StatusCache {
    /// An empty cache within `limits`. It serves nothing until its listener first calls
    /// [`StatusCache::mark_fresh`].
    pub fn new(limits: Limits) -> Self {
        let floor = Arc::new(AtomicU64::new(0));
        let capacity = usize::try_from(limits.max_learners).unwrap_or(usize::MAX).max(1);
        let learners = Learners::with(
            capacity,
            limits.max_learners.max(1),
            UnitWeighter,
            DefaultHashBuilder::default(),
            RaiseFloor(floor.clone()),
        );
        let sign_ins = SignIns::new(capacity);
        Self {
            inner: Arc::new(Inner {
                limits,
                learners,
                sign_ins,
                generation: AtomicU64::new(1),
                floor,
                fresh_as_of_ms: AtomicU64::new(0),
                epoch: Instant::now(),
                skew_ms: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// The configured bounds.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Whether cached answers may be served now: on, and proved fresh within `max_stale`.
    pub fn serving(&self) -> bool {
        self.serving_at(self.now_ms())
    }

    fn serving_at(&self, now_ms: u64) -> bool {
        let i = &self.inner;
        if !i.limits.enabled {
            return false;
        }
        let as_of = i.fresh_as_of_ms.load(Ordering::SeqCst);
        as_of > 0 && (now_ms.saturating_sub(as_of) as u128) < i.limits.max_stale.as_millis()
    }

    /// Whether something written at `written_ms` has outlived `cache.ttl_secs` at `now_ms`.
    fn aged(&self, written_ms: u64, now_ms: u64) -> bool {
        u128::from(now_ms.saturating_sub(written_ms)) >= self.inner.limits.ttl.as_millis()
    }

    fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    /// `at` on the cache's clock: milliseconds after its epoch, +1 so that a proof in the first
    /// millisecond is not "never".
    fn ms_at(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.inner.epoch).as_millis() as u64
            + 1
            + self.inner.skew_ms.load(Ordering::SeqCst)
    }

    /// Moves the cache's clock on by `by`, as if that much time had passed.
    #[cfg(test)]
    fn advance(&self, by: Duration) {
        self.inner.skew_ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// The listener's proof that every change committed before `as_of` has been evicted.
    pub fn mark_fresh(&self, as_of: Instant) {
        let ms = self.ms_at(as_of);
        self.inner.fresh_as_of_ms.fetch_max(ms, Ordering::SeqCst);
    }

    /// The listener lost changes (a dropped connection): nothing cached before now is served
    /// again, and no load that began before now is stored.
    pub fn flush(&self) {
        let i = &self.inner;
        let g = i.generation.fetch_add(1, Ordering::SeqCst) + 1;
        i.floor.fetch_max(g, Ordering::SeqCst);
        i.learners.clear();
        i.sign_ins.clear();
    }

    /// Forgets what is cached about `user` (a change to their attempts or account).
    pub fn evict(&self, user: UserId) {
        let i = &self.inner;
        let g = i.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let now = self.now_ms();
        // Through the same per-key `entry` as `store_records`, never a plain insert: it runs
        // under the shard's write lock, so a load that decided to store cannot overwrite this
        // marker, and two evictions landing out of order keep the higher generation.
        // `entry` on a key another caller is inserting parks this thread until the value is
        // in; the other caller's critical section is the few synchronous lines below, so on
        // an async worker this is microseconds, never an await.
        let result = i.learners.entry(&user, None, |_, slot| {
            slot.evicted = slot.evicted.max(g);
            slot.records = None;
            slot.written_ms = now;
            EntryAction::Retain(())
        });
        if let EntryResult::Vacant(place) = result
            && place.insert(Slot { records: None, evicted: g, written_ms: now }).is_err()
        {
            // A flush cleared the cache between the two steps: the marker has nowhere to
            // live, so no load older than it may be stored anywhere.
            i.floor.fetch_max(g, Ordering::SeqCst);
        }
    }

    /// Forgets what a committed transaction changed.
    pub fn forget(&self, touched: &Touched) {
        match touched {
            Touched::All => self.flush(),
            Touched::Users(users) => users.iter().for_each(|u| self.evict(*u)),
        }
    }

    /// The generation a load begins in: take it before reading the database.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.inner.generation.load(Ordering::SeqCst))
    }

    /// `user`'s records, if cached and servable.
    pub fn records(&self, user: UserId) -> Option<Arc<Vec<Verification>>> {
        let now = self.now_ms();
        if !self.serving_at(now) {
            return None;
        }
        let floor = self.inner.floor.load(Ordering::SeqCst);
        let found = self
            .inner
            .learners
            .get(&user)
            .filter(|s| !self.aged(s.written_ms, now))
            .and_then(|s| s.records)
            .filter(|(_, g)| *g >= floor)
            .map(|(r, _)| r);
        let counter = if found.is_some() { &self.inner.hits } else { &self.inner.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `user`'s records read by a load that began at `ticket`, unless something about
    /// `user` was evicted since (then the next read loads again).
    pub fn store_records(&self, user: UserId, ticket: Ticket, records: Arc<Vec<Verification>>) {
        let i = &self.inner;
        if !i.limits.enabled || ticket.0 < i.floor.load(Ordering::SeqCst) {
            return;
        }
        let now = self.now_ms();
        let mut records = Some(records);
        let result = i.learners.entry(&user, None, |_, slot| {
            let newer = slot.evicted > ticket.0 || slot.records.as_ref().is_some_and(|(_, g)| *g > ticket.0);
            if !newer {
                slot.records = records.take().map(|r| (r, ticket.0));
                slot.written_ms = now;
            }
            EntryAction::Retain(())
        });
        if let (EntryResult::Vacant(place), Some(r)) = (result, records) {
            // Nothing to store into if a flush cleared the cache meanwhile; that flush also
            // refuses this load, so dropping it is right.
            let _ = place.insert(Slot { records: Some((r, ticket.0)), evicted: 0, written_ms: now });
        }
    }

    /// The account an unchanged LMS token signed in as, if cached, servable and not evicted
    /// since.
    pub fn sign_in(&self, key: &SignInKey) -> Option<Arc<User>> {
        let now = self.now_ms();
        if !self.serving_at(now) {
            return None;
        }
        let (user, ticket, written) = self.inner.sign_ins.get(key)?;
        let current = !self.aged(written, now)
            && ticket >= Ticket(self.inner.floor.load(Ordering::SeqCst))
            && self.inner.learners.get(&user.id).is_none_or(|s| s.evicted <= ticket.0);
        current.then_some(user)
    }

    /// Remembers the account `key` signed in as, read by a load that began at `ticket`.
    pub fn store_sign_in(&self, key: SignInKey, ticket: Ticket, user: Arc<User>) {
        let i = &self.inner;
        if !i.limits.enabled || ticket.0 < i.floor.load(Ordering::SeqCst) {
            return;
        }
        if i.learners.get(&user.id).is_some_and(|s| s.evicted > ticket.0) {
            return;
        }
        i.sign_ins.insert(key, (user, ticket, self.now_ms()));
    }

    /// Drops what has outlived `cache.ttl_secs`, so learners who stopped asking give their
    /// memory back before the size bound pushes them out (the listener calls it). A dropped
    /// slot that remembered an eviction raises the floor, as one dropped for space does.
    pub fn sweep(&self) {
        let i = &self.inner;
        let now = self.now_ms();
        i.learners.retain(|_, slot| {
            let keep = !self.aged(slot.written_ms, now);
            if !keep && slot.evicted > 0 {
                i.floor.fetch_max(slot.evicted, Ordering::SeqCst);
            }
            keep
        });
        i.sign_ins.retain(|_, (_, _, written)| !self.aged(*written, now));
    }

    /// Hits and misses of record reads since start (for `/metrics`).
    pub fn counts(&self) -> (u64, u64) {
        (self.inner.hits.load(Ordering::Relaxed), self.inner.misses.load(Ordering::Relaxed))
    }

    /// Learners with a slot now (approximate, for `/metrics` and the memory figure).
    pub fn learners(&self) -> u64 {
        self.inner.learners.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{AnyStatus, AttemptKind, AttemptStatus};
    use chrono::{TimeZone, Utc};

    fn limits() -> Limits {
        Limits { enabled: true, max_stale: Duration::from_secs(5), max_learners: 1000, ttl: Duration::from_secs(60) }
    }

    fn fresh() -> StatusCache {
        let c = StatusCache::new(limits());
        c.mark_fresh(Instant::now());
        c
    }

    /// A load racing evictions on other threads must never overwrite an eviction marker: after
    /// `evict` returns, the slot carries that eviction's generation or a later one, so a load
    /// that began before it can never be served. (A plain `insert` for the marker let a
    /// concurrent `store_records` put back the old records with the old marker.)
    #[test]
    fn an_eviction_is_never_overwritten_by_a_racing_load() {
        let cache = fresh();
        let user = UserId(42);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let loaders: Vec<_> = (0..3)
            .map(|_| {
                let (cache, stop) = (cache.clone(), stop.clone());
                std::thread::spawn(move || {
                    let old = records(AttemptStatus::Submitted);
                    while !stop.load(Ordering::Relaxed) {
                        let t = cache.ticket();
                        cache.store_records(user, t, old.clone());
                    }
                })
            })
            .collect();
        for _ in 0..20_000 {
            let before = cache.inner.generation.load(Ordering::SeqCst);
            cache.evict(user);
            let slot = cache.inner.learners.get(&user).expect("a slot after an eviction");
            assert!(slot.evicted > before, "eviction marker {} lost (generation was {before})", slot.evicted);
            if let Some((_, loaded)) = slot.records {
                assert!(loaded > before, "records loaded at {loaded} survived an eviction after {before}");
            }
        }
        stop.store(true, Ordering::Relaxed);
        loaders.into_iter().for_each(|l| l.join().expect("loader"));
    }

    fn records(status: AttemptStatus) -> Arc<Vec<Verification>> {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Arc::new(vec![Verification {
            kind: AttemptKind::Photo,
            id: 1,
            uuid: "u".into(),
            user_id: UserId(7),
            name: "A".into(),
            status: AnyStatus::Attempt(status),
            created_at: t,
            updated_at: t,
            status_changed_at: t,
            expiration: None,
            error_msg: String::new(),
            hide_status_from_user: false,
        }])
    }

    fn user(id: i64) -> User {
        User {
            id: UserId(id),
            username: format!("u{id}"),
            email: String::new(),
            full_name: String::new(),
            is_staff: false,
            is_active: true,
            is_reviewer: false,
        }
    }

    fn key(id: i64) -> SignInKey {
        SignInKey { lms_user_id: id, username: format!("u{id}"), email: String::new(), full_name: String::new() }
    }

    #[test]
    fn serves_nothing_until_proved_fresh_and_stops_when_the_proof_is_old() {
        let c = StatusCache::new(Limits { max_stale: Duration::from_secs(50), ..limits() });
        let t = c.ticket();
        c.store_records(UserId(7), t, records(AttemptStatus::Approved));
        assert!(c.records(UserId(7)).is_none(), "never proved fresh: no answer is served");
        c.mark_fresh(Instant::now());
        assert!(c.records(UserId(7)).is_some());
        c.advance(Duration::from_secs(30));
        assert!(c.records(UserId(7)).is_some(), "the proof is younger than max_stale");
        c.advance(Duration::from_secs(20));
        assert!(c.records(UserId(7)).is_none(), "the proof is older than max_stale");
        c.mark_fresh(Instant::now());
        assert!(c.records(UserId(7)).is_some());
    }

    #[test]
    fn a_load_that_began_before_an_eviction_is_not_stored() {
        let c = fresh();
        let before = c.ticket();
        c.evict(UserId(7));
        c.store_records(UserId(7), before, records(AttemptStatus::Submitted));
        assert!(c.records(UserId(7)).is_none(), "the load read the database before the change");
        let after = c.ticket();
        c.store_records(UserId(7), after, records(AttemptStatus::Approved));
        assert_eq!(c.records(UserId(7)).unwrap()[0].status, AnyStatus::Attempt(AttemptStatus::Approved));
    }

    #[test]
    fn an_eviction_after_a_store_forgets_it_and_an_older_load_never_overwrites_a_newer_one() {
        let c = fresh();
        let old = c.ticket();
        c.evict(UserId(1)); // another learner: moves the generation on
        let new = c.ticket();
        c.store_records(UserId(7), new, records(AttemptStatus::Approved));
        c.store_records(UserId(7), old, records(AttemptStatus::Submitted));
        assert_eq!(c.records(UserId(7)).unwrap()[0].status, AnyStatus::Attempt(AttemptStatus::Approved));
        c.evict(UserId(7));
        assert!(c.records(UserId(7)).is_none());
    }

    #[test]
    fn a_flush_refuses_every_load_that_began_before_it() {
        let c = fresh();
        let before = c.ticket();
        c.store_records(UserId(7), before, records(AttemptStatus::Approved));
        c.store_sign_in(key(7), before, Arc::new(user(7)));
        c.flush();
        assert!(c.records(UserId(7)).is_none());
        assert!(c.sign_in(&key(7)).is_none());
        c.store_records(UserId(8), before, records(AttemptStatus::Approved));
        assert!(c.records(UserId(8)).is_none(), "began before the flush");
    }

    #[test]
    fn a_sign_in_is_forgotten_when_its_account_changes() {
        let c = fresh();
        let t = c.ticket();
        c.store_sign_in(key(7), t, Arc::new(user(7)));
        assert_eq!(c.sign_in(&key(7)).unwrap().id, UserId(7));
        c.evict(UserId(7));
        assert!(c.sign_in(&key(7)).is_none());
        // Loaded again after the change, and the records reloaded too: served again.
        let t2 = c.ticket();
        c.store_records(UserId(7), t2, records(AttemptStatus::Approved));
        c.store_sign_in(key(7), t2, Arc::new(user(7)));
        assert!(c.sign_in(&key(7)).is_some());
    }

    #[test]
    fn a_slot_dropped_for_space_raises_the_floor() {
        let c = StatusCache::new(Limits { max_learners: 64, ..limits() });
        c.mark_fresh(Instant::now());
        let stale = c.ticket();
        c.evict(UserId(7));
        // Fill the cache with learners who keep asking until user 7's slot (with its
        // eviction, never read since) is dropped.
        for id in 100..5_000 {
            let t = c.ticket();
            c.store_records(UserId(id), t, records(AttemptStatus::Approved));
            c.records(UserId(id));
            c.records(UserId(id));
        }
        assert!(c.inner.learners.get(&UserId(7)).is_none(), "the slot left for space (held {})", c.learners());
        c.store_records(UserId(7), stale, records(AttemptStatus::Submitted));
        assert!(c.records(UserId(7)).is_none(), "a load older than the forgotten eviction is refused");
    }

    #[test]
    fn entries_older_than_the_ttl_are_not_served_and_a_sweep_drops_them() {
        let c = StatusCache::new(Limits { ttl: Duration::from_millis(300), ..limits() });
        c.mark_fresh(Instant::now());
        let stale = c.ticket();
        c.evict(UserId(7));
        let t = c.ticket();
        c.store_records(UserId(8), t, records(AttemptStatus::Approved));
        c.store_sign_in(key(8), t, Arc::new(user(8)));
        assert!(c.records(UserId(8)).is_some() && c.sign_in(&key(8)).is_some());
        c.advance(Duration::from_millis(350));
        c.mark_fresh(Instant::now());
        assert!(c.records(UserId(8)).is_none(), "older than the TTL: loaded again");
        assert!(c.sign_in(&key(8)).is_none(), "older than the TTL: signed in again");
        c.sweep();
        assert_eq!(c.learners(), 0, "the sweep gave the memory back");
        // User 7's eviction marker left with the sweep: loads older than it are refused.
        c.store_records(UserId(7), stale, records(AttemptStatus::Submitted));
        assert!(c.records(UserId(7)).is_none(), "a load older than a swept eviction is refused");
    }

    #[test]
    fn off_stores_and_serves_nothing() {
        let c = StatusCache::new(Limits { enabled: false, ..limits() });
        c.mark_fresh(Instant::now());
        c.store_records(UserId(7), c.ticket(), records(AttemptStatus::Approved));
        assert!(c.records(UserId(7)).is_none());
    }
}
