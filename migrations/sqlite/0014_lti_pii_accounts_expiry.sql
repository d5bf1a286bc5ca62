-- LTI, per consumer (Open edX LtiConsumer's fields, both off by default):
--   use_lti_pii: the launch's lis_person_* name and email fill an empty profile (never
--     overwrite one);
--   require_user_account: a learner without a mapping signs in with the LMS and that account
--     is linked to the LTI user (never linked by email).
alter table lti_consumer add column use_lti_pii bigint not null default 0;
alter table lti_consumer add column require_user_account bigint not null default 0;

-- One LTI identity per Vouch account (Open edX LtiUser.edx_user is one-to-one): a second
-- LTI user can never be linked to an account already linked. Launches always created a new
-- account per LTI user, so existing rows satisfy it.
create unique index lti_user_one_per_account on lti_user (user_id);

-- Approvals of LTI learners whose expiry has been noticed (and their 0.0 grade queued, in the
-- same transaction): one row per expired approval, so each is sent exactly once, whatever
-- the restarts and however many runners sweep.
create table lti_expiry_notice (
    attempt_kind text not null,
    attempt_id bigint not null,
    user_id bigint not null references app_user (user_id),
    expired_at bigint not null,
    noticed_at bigint not null,
    primary key (attempt_kind, attempt_id)
);
