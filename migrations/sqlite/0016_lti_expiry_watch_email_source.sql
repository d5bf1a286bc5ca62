-- The LTI expiry sweep watches approvals from its first run on, not from the beginning of
-- time: after an upgrade, approvals that lapsed before (possibly years ago, in closed
-- courses) must not be sent 0.0 now. The first sweep (of any runner) records when watching
-- started; every sweep notices only expiries from then on. One row, kept in the database so
-- that restarts and replicas agree on it.
create table lti_expiry_watch (
    watch_id bigint primary key,
    watching_since bigint not null
);

-- Whether the account's email was filled from an LTI launch (use_lti_pii): the consumer's
-- word (or a learner's, where the LMS lets them edit it), fine for sending mail, never proof
-- of who the account is, so lookups by email (`vouch manual-verifications`) skip it. Set
-- back to 0 when the LMS (a JWT sign-in) or an operator sets the email.
alter table app_user add column email_from_lti bigint not null default 0;
-- Accounts filled before this column existed: an email on an account that only LTI launches
-- reach (linked to an LTI user, never signed in by the LMS) can only have come from one.
update app_user set email_from_lti = 1
    where email <> '' and lms_user_id is null and user_id in (select user_id from lti_user);
