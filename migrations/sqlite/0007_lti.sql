-- LTI 1.1 tool provider: consumers, the nonces they used, the Vouch user of each LTI user,
-- and the outcome services and graded assignments that receive the verification result.

-- An LMS allowed to launch Vouch. The secret signs launches and grade passbacks, so it is
-- kept as is; it is never logged nor shown back. instance_guid is learnt on the first
-- signed launch that carries one.
create table lti_consumer (
    lti_consumer_id integer primary key,
    consumer_name text not null,
    consumer_key text not null unique,
    consumer_secret text not null,
    instance_guid text unique,
    -- Comma-separated hosts its outcome URLs may use (empty: the global lti setting).
    allowed_outcome_hosts text not null default '',
    -- The frame-ancestors policy for its launches (empty: the global lti setting).
    frame_ancestors text not null default '',
    created_at bigint not null
);

-- Nonces of accepted launches, kept as long as their timestamp could still pass the window.
create table lti_nonce (
    lti_consumer_id bigint not null references lti_consumer (lti_consumer_id) on delete cascade,
    nonce text not null,
    expires_at bigint not null,
    primary key (lti_consumer_id, nonce)
);
create index lti_nonce_expires on lti_nonce (expires_at);

-- One Vouch user per (consumer, LTI user_id).
create table lti_user (
    lti_user_pk integer primary key,
    lti_consumer_id bigint not null references lti_consumer (lti_consumer_id) on delete cascade,
    lti_user_id text not null,
    user_id bigint not null references app_user (user_id),
    created_at bigint not null,
    unique (lti_consumer_id, lti_user_id)
);

-- Where a consumer wants results sent (it may use several URLs over its lifetime).
create table lti_outcome_service (
    lti_outcome_service_id integer primary key,
    lti_consumer_id bigint not null references lti_consumer (lti_consumer_id) on delete cascade,
    lis_outcome_service_url text not null,
    unique (lti_consumer_id, lis_outcome_service_url)
);

-- One launch of a graded resource by one learner. version_number grows with each result
-- to send; delivered_version is the last one the consumer acknowledged, so a job that runs
-- again after a crash, or for an older version, sends nothing.
create table lti_graded_assignment (
    lti_graded_assignment_id integer primary key,
    user_id bigint not null references app_user (user_id),
    course_key text not null,
    usage_key text not null,
    lti_outcome_service_id bigint not null references lti_outcome_service (lti_outcome_service_id) on delete cascade,
    lis_result_sourcedid text not null,
    version_number bigint not null default 0,
    delivered_version bigint not null default 0,
    last_score text not null default '',
    last_status text not null default '',
    last_error text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    unique (lti_outcome_service_id, lis_result_sourcedid)
);
create index lti_graded_assignment_user on lti_graded_assignment (user_id);
