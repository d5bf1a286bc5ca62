-- Vouch initial schema (SQLite). Timestamps are integer microseconds since the Unix epoch
-- (UTC) and flags are 0/1 integers: the same representation on both backends, so one
-- store API serves SQLite and PostgreSQL. Migrations are append-only.

create table app_user (
    user_id integer primary key,
    username text not null unique,
    email text not null default '',
    full_name text not null default '',
    is_staff integer not null default 0,
    is_active integer not null default 1,
    created_at bigint not null
);

create table photo_verification (
    attempt_id integer primary key,
    uuid text not null unique,
    user_id bigint not null references app_user (user_id),
    name text not null default '',
    status text not null,
    receipt_id text not null unique,
    face_image_ref text,
    photo_id_image_ref text,
    photo_id_key text not null default '',
    submitted_at bigint,
    reviewing_user_id bigint references app_user (user_id),
    reviewing_service text not null default '',
    error_msg text not null default '',
    error_code text not null default '',
    copy_id_photo_from bigint references photo_verification (attempt_id),
    expires_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    status_changed_at bigint not null
);
create index photo_verification_user_created on photo_verification (user_id, created_at);
create index photo_verification_status_changed on photo_verification (status, status_changed_at);

-- Every status change of every attempt kind, written in the same transaction as the change.
create table attempt_transition (
    transition_id integer primary key,
    attempt_kind text not null,
    attempt_id bigint not null,
    from_status text,
    to_status text not null,
    actor_kind text not null,
    actor_id text not null default '',
    reason text not null default '',
    created_at bigint not null
);
create index attempt_transition_attempt on attempt_transition (attempt_kind, attempt_id, transition_id);

create table web_session (
    session_id text primary key,
    data text not null,
    expires_at bigint not null
);
create index web_session_expires on web_session (expires_at);
