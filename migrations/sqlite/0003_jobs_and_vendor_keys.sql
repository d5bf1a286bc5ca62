-- The durable job queue, the wrapped face-photo key of each attempt, and the replay guard
-- of vendor callbacks.

-- Vouch encrypts each face photo under its own random key; this is that key wrapped for the
-- vendor (Software Secure's UserPhotoKey), so resending never needs the raw key.
alter table photo_verification add column user_photo_key text not null default '';

-- One row per job. A worker claims due rows (queued, or running with an expired lease),
-- so a crashed worker's job is taken over after its lease; idempotency_key makes enqueueing
-- the same work twice a no-op.
create table job (
    job_id integer primary key,
    kind text not null,
    payload text not null,
    idempotency_key text not null unique,
    status text not null,
    attempts integer not null default 0,
    max_attempts integer not null,
    run_at bigint not null,
    locked_by text not null default '',
    locked_until bigint,
    last_error text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index job_due on job (status, run_at);

-- Signatures of callbacks already accepted, kept for the length of the Date window.
create table callback_replay (
    digest text primary key,
    expires_at bigint not null
);
create index callback_replay_expires on callback_replay (expires_at);
