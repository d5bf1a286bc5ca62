-- The LTI expiry sweep watches approvals from its first run on, not from the beginning of
-- time: after an upgrade, approvals that lapsed before (possibly years ago, in closed
-- courses) must not be sent 0.0 now. The first sweep (of any runner) records when watching
-- started; every sweep notices only expiries from then on. One row, kept in the database so
-- that restarts and replicas agree on it.
create table lti_expiry_watch (
    watch_id bigint primary key,
    watching_since bigint not null
);
