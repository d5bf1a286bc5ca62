-- Every attempt kind, course verification deadlines with history, and the stored
-- arguments of the retry command. Same conventions as 0001 (integer microseconds, 0/1 flags).

create table sso_verification (
    attempt_id integer primary key,
    uuid text not null unique,
    user_id bigint not null references app_user (user_id),
    name text not null default '',
    status text not null,
    identity_provider_type text not null,
    identity_provider_slug text not null,
    platform_name text not null default '',
    expires_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    status_changed_at bigint not null
);
create index sso_verification_user_created on sso_verification (user_id, created_at);

create table manual_verification (
    attempt_id integer primary key,
    uuid text not null unique,
    user_id bigint not null references app_user (user_id),
    name text not null default '',
    status text not null,
    reason text not null default '',
    created_by bigint references app_user (user_id),
    expires_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    status_changed_at bigint not null
);
create index manual_verification_user_created on manual_verification (user_id, created_at);

-- The generic attempt of the pluggable design: any vendor plugin records here.
create table verification_attempt (
    attempt_id integer primary key,
    uuid text not null unique,
    user_id bigint not null references app_user (user_id),
    name text not null default '',
    status text not null,
    expires_at bigint,
    hide_status_from_user integer not null default 0,
    vendor text not null default '',
    vendor_reference text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    status_changed_at bigint not null
);
create index verification_attempt_user_created on verification_attempt (user_id, created_at);
create index verification_attempt_vendor_ref on verification_attempt (vendor, vendor_reference);

create table verification_deadline (
    course_key text primary key,
    deadline bigint not null,
    deadline_is_explicit integer not null default 0,
    created_at bigint not null,
    modified_at bigint not null
);

-- Every change of a course's deadline; a null deadline records its removal.
create table verification_deadline_history (
    history_id integer primary key,
    course_key text not null,
    deadline bigint,
    deadline_is_explicit integer not null,
    changed_by text not null default '',
    changed_at bigint not null
);
create index verification_deadline_history_course on verification_deadline_history (course_key, history_id);

-- Open edX SSPVerificationRetryConfig: the newest enabled row holds the retry command's arguments.
create table ssp_retry_config (
    config_id integer primary key,
    arguments text not null,
    enabled integer not null default 1,
    changed_by text not null default '',
    changed_at bigint not null
);
