-- Lifecycle events (the outbox), outbound webhook deliveries, verified names (name
-- affirmation) and the record of emails sent. Same conventions as 0001 (integer
-- microseconds, 0/1 flags).

-- One row per status change of any attempt kind, written in the transaction of the change.
-- `payload` is the event exactly as hooks and webhooks receive it; `dispatched_at` is set
-- once the event has been fanned out to every hook and webhook.
create table event_outbox (
    event_row_id integer primary key,
    event_id text not null unique,
    event_type text not null,
    attempt_kind text not null,
    attempt_id bigint not null,
    attempt_uuid text not null,
    user_id bigint not null,
    payload text not null,
    created_at bigint not null,
    dispatched_at bigint
);
create index event_outbox_attempt on event_outbox (attempt_uuid, event_row_id);
create index event_outbox_user on event_outbox (user_id);

-- One row per event and webhook URL: pending until delivered, dead after the last try
-- (staff can queue it again).
create table webhook_delivery (
    delivery_id integer primary key,
    event_id text not null,
    event_type text not null,
    webhook_url text not null,
    status text not null,
    tries integer not null default 0,
    last_error text not null default '',
    last_status_code integer,
    manual_retries integer not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    delivered_at bigint,
    unique (event_id, webhook_url)
);
create index webhook_delivery_status on webhook_delivery (status, delivery_id);

-- Name affirmation: a name the learner asked to have verified, following the events of the
-- attempt it refers to (by uuid, which is unique across every attempt kind).
create table verified_name (
    verified_name_id integer primary key,
    user_id bigint not null references app_user (user_id),
    verified_name text not null,
    profile_name text not null default '',
    verification_attempt_uuid text,
    status text not null,
    -- The outbox position of the event that last changed it (older events are ignored).
    last_event_seq bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index verified_name_user on verified_name (user_id, verified_name_id);
create index verified_name_attempt on verified_name (verification_attempt_uuid);

-- Every change of a verified name (no foreign key: the history outlives a deleted name).
create table verified_name_history (
    history_id integer primary key,
    verified_name_id bigint not null,
    user_id bigint not null,
    verified_name text not null,
    status text not null,
    verification_attempt_uuid text,
    cause text not null default '',
    created_at bigint not null
);
create index verified_name_history_name on verified_name_history (verified_name_id, history_id);

-- Emails already sent, so each is sent once (`dedupe_key`: kind and attempt).
create table email_sent (
    email_sent_id integer primary key,
    dedupe_key text not null unique,
    user_id bigint not null,
    email_kind text not null,
    attempt_uuid text not null,
    sent_at bigint not null
);
